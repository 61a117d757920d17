// djb's buffer: buffered reads and writes on a file descriptor, retrying EINTR and short
// writes, with the error number kept for the caller's message.
namespace Toolkit;

public sealed class Output
{
    readonly int fd;
    readonly byte[] buf;
    int len;
    public int Errno;

    public Output(int fd, int size = 8192) { this.fd = fd; buf = new byte[size]; }

    public void Put(ReadOnlySpan<byte> s)
    {
        if (s.Length > buf.Length - len)
        {
            Flush();
            if (s.Length > buf.Length) { WriteAll(s); return; }
        }
        s.CopyTo(buf.AsSpan(len));
        len += s.Length;
    }

    public void Put(byte c)
    {
        if (len == buf.Length) Flush();
        buf[len++] = c;
    }

    /// <summary>Writes out what is buffered; false (and Errno) on a write error.</summary>
    public bool Flush()
    {
        if (len == 0) return Errno == 0;
        int n = len;
        len = 0;
        return WriteAll(buf.AsSpan(0, n));
    }

    bool WriteAll(ReadOnlySpan<byte> s)
    {
        if (Sys.WriteAll(fd, s)) return true;
        Errno = Native.Errno;
        return false;
    }
}

public sealed class Input
{
    readonly int fd;
    readonly byte[] buf;
    int pos, len;
    public int Errno;
    /// <summary>Called before each read(2), e.g. to flush output first as djb's tools do.</summary>
    public Action BeforeRead;

    public Input(int fd, int size = 8192) { this.fd = fd; buf = new byte[size]; }

    /// <summary>Next byte, -1 at end of input, -2 on a read error (see Errno).</summary>
    public int Get()
    {
        if (pos >= len)
        {
            int r = Fill();
            if (r <= 0) return r == 0 ? -1 : -2;
        }
        return buf[pos++];
    }

    /// <summary>Number of bytes buffered, reading once if none are: 0 at end of input, -1 on error.</summary>
    public int Fill()
    {
        if (pos < len) return len - pos;
        BeforeRead?.Invoke();
        int r = Sys.Read(fd, buf);
        if (r == -1) Errno = Native.Errno;
        pos = 0;
        len = r;
        return r;
    }

    public ReadOnlySpan<byte> Buffered => len > pos ? buf.AsSpan(pos, len - pos) : default;
    public void Skip(int n) => pos += n;
}

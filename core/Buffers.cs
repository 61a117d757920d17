// djb's buffer: buffered reads and writes on a file descriptor, retrying EINTR and short
// writes, with the error number kept for the caller's message.
namespace Toolkit;

public sealed unsafe class Output
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
        int e = Write(fd, s);
        if (e != 0) Errno = e;
        return e == 0;
    }

    /// <summary>Writes all of s to fd, unbuffered (djb's allwrite); 0, or the error number.</summary>
    public static int Write(int fd, ReadOnlySpan<byte> s)
    {
        fixed (byte* p = s)
        {
            int done = 0;
            while (done < s.Length)
            {
                nint w = Native.write(fd, p + done, s.Length - done);
                if (w < 0)
                {
                    int e = Native.Errno;
                    if (e == Native.EINTR) continue;
                    return e;
                }
                done += (int)w;
            }
        }
        return 0;
    }
}

public sealed unsafe class Input
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
        fixed (byte* p = buf)
        {
            for (;;)
            {
                nint r = Native.read(fd, p, buf.Length);
                if (r < 0)
                {
                    int e = Native.Errno;
                    if (e == 4) continue;
                    Errno = e;
                    pos = 0; len = -1;
                    return -1;
                }
                pos = 0; len = (int)r;
                return len;
            }
        }
    }

    public ReadOnlySpan<byte> Buffered => len > pos ? buf.AsSpan(pos, len - pos) : default;
    public void Skip(int n) => pos += n;
}

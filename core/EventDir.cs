// supervise/event, a FIFO directory after s6's event/: a process that wants to hear of a
// service's state changes puts a FIFO in it and holds it open for reading; supervise writes to
// each such FIFO a letter for each change, as s6 does (s started, u up, U up and ready, d down,
// D down with ./finish done, x exiting), and removes the FIFOs nobody reads any more. A FIFO is made under a name starting with "." and renamed once
// its reader holds it, so that supervise never takes a FIFO being made for one nobody reads.
namespace Toolkit;

public static class EventDir
{
    public static ReadOnlySpan<byte> Path => "supervise/event"u8;

    /// <summary>Creates the directory if it is missing (supervise, at start).</summary>
    public static void Make() => Files.Mkdir(Path, Mode.Rwx______);

    /// <summary>Writes the letters to every FIFO in the directory (supervise's directory is the
    /// current one), without blocking; a FIFO without a reader is removed.</summary>
    public static void Notify(ReadOnlySpan<byte> letters)
    {
        using var dir = Dir.Open(Path);
        if (dir == null) return;
        var path = new Bytes(64);
        while (dir.Next(out var name))
        {
            if (name.Length == 0 || name[0] == '.') continue;
            path.Length = 0;
            path.Add(Path);
            path.Add((byte)'/');
            path.Add(name);
            int fd = Files.OpenWrite(path.Span);
            if (fd == -1)
            {
                if (Native.Errno == Native.ENXIO) Files.Unlink(path.Span);
                continue;
            }
            Sys.Write(fd, letters);
            Native.close(fd);
        }
    }

    /// <summary>A FIFO of a listener: readable when supervise has told of a change.</summary>
    public sealed class Listener : IDisposable
    {
        public int Fd = -1;
        int writer = -1;
        byte[] path;

        /// <summary>Puts a FIFO named NAME into DIR/supervise/event and opens it; null with the
        /// error number if that fails (ENOENT: no event directory, the supervise does not announce).</summary>
        public static Listener Open(ReadOnlySpan<byte> dir, ReadOnlySpan<byte> name, out int errno)
        {
            errno = 0;
            var l = new Listener();
            byte[] events = [.. dir, (byte)'/', .. Path, (byte)'/'];
            byte[] making = [.. events, (byte)'.', .. name];
            l.path = [.. events, .. name];
            if (Files.Mkfifo(making, Mode.Rw_______) == -1) { errno = Native.Errno; return null; }
            l.Fd = Files.OpenRead(making);
            // Held, never written: with a writer always there, the FIFO never reports a hangup
            // after supervise has written and closed.
            if (l.Fd != -1) l.writer = Files.OpenWrite(making);
            if (l.writer == -1 || Files.Rename(making, l.path) == -1)
            {
                errno = Native.Errno;
                Files.Unlink(making);
                l.path = null;
                l.Dispose();
                return null;
            }
            return l;
        }

        /// <summary>The letters supervise has written since the last call (up to the size of buf).</summary>
        public ReadOnlySpan<byte> Read(Span<byte> buf)
        {
            int r = Sys.Read(Fd, buf);
            return r > 0 ? buf.Slice(0, r) : default;
        }

        public void Dispose()
        {
            if (path != null && Fd != -1) Files.Unlink(path);
            if (Fd != -1) Native.close(Fd);
            if (writer != -1) Native.close(writer);
            Fd = writer = -1;
        }
    }
}

// The system calls on descriptors, processes, limits and time, taking spans and out values
// instead of pointers, so that programs need no unsafe code (paths are in core/Files.cs).
// Failures are -1 (or false) with the error number in Native.Errno, as in C; an EINTR is
// retried wherever one would only mean "try again".
namespace Toolkit;

public static unsafe class Sys
{
    /// <summary>read(2): bytes read, 0 at end of file, -1 on error.</summary>
    public static int Read(int fd, Span<byte> buf)
    {
        int r;
        while ((r = ReadInterruptible(fd, buf)) == -1 && Native.Errno == Native.EINTR) { }
        return r;
    }

    /// <summary>One read(2), not retried: -1 with EINTR when a caught signal interrupted it (for
    /// a loop that acts on signals between reads, as multilog's).</summary>
    public static int ReadInterruptible(int fd, Span<byte> buf)
    {
        fixed (byte* p = buf) return (int)Native.read(fd, p, buf.Length);
    }

    /// <summary>pread(2) at offset: bytes read, 0 at end of file, -1 on error.</summary>
    public static int Pread(int fd, Span<byte> buf, long offset)
    {
        fixed (byte* p = buf)
            for (;;)
            {
                nint r = Native.pread(fd, p, buf.Length, offset);
                if (r != -1 || Native.Errno != Native.EINTR) return (int)r;
            }
    }

    /// <summary>One write(2): bytes written (possibly fewer than given), -1 on error.</summary>
    public static int Write(int fd, ReadOnlySpan<byte> buf)
    {
        fixed (byte* p = buf)
            for (;;)
            {
                nint w = Native.write(fd, p, buf.Length);
                if (w != -1 || Native.Errno != Native.EINTR) return (int)w;
            }
    }

    /// <summary>Writes all of buf, however many write(2)s it takes; false on error.</summary>
    public static bool WriteAll(int fd, ReadOnlySpan<byte> buf)
    {
        while (buf.Length > 0)
        {
            int w = Write(fd, buf);
            if (w == -1) return false;
            buf = buf.Slice(w);
        }
        return true;
    }

    /// <summary>A close-on-exec pipe; false on error.</summary>
    public static bool Pipe(out int read, out int write)
    {
        int* fds = stackalloc int[2];
        read = write = -1;
        if (Native.pipe2(fds, Native.O_CLOEXEC) == -1) return false;
        read = fds[0];
        write = fds[1];
        return true;
    }

    /// <summary>How many bytes wait unread in a pipe (FIONREAD); -1 on error.</summary>
    public static int Unread(int fd)
    {
        int n;
        return Native.ioctl(fd, Native.FIONREAD, &n) == -1 ? -1 : n;
    }

    /// <summary>poll(2) on fds (none: just wait), timeout in milliseconds (-1: none).</summary>
    public static int Poll(Span<Native.PollFd> fds, int timeout)
    {
        fixed (Native.PollFd* p = fds) return Native.poll(p, (ulong)fds.Length, timeout);
    }

    /// <summary>An exclusive flock(2), waiting for it unless noWait; -1 on error.</summary>
    public static int Lock(int fd, bool noWait)
    {
        int r;
        while ((r = Native.flock(fd, Native.LOCK_EX | (noWait ? Native.LOCK_NB : 0))) == -1 && Native.Errno == Native.EINTR) { }
        return r;
    }

    /// <summary>fstatfs(2): the file system fd is on; -1 on error.</summary>
    public static int StatFs(int fd, out Native.StatFs st)
    {
        fixed (Native.StatFs* p = &st) return Native.fstatfs(fd, p);
    }

    /// <summary>The resource limit the program was started with, or as softlimit changed it.</summary>
    public static void Limit(int resource, out ulong soft, out ulong hard)
    {
        ulong s, h;
        Native.tk_limit_get(resource, &s, &h);
        soft = s;
        hard = h;
    }

    /// <summary>getrlimit(2): the soft limit this process runs under now (Limit is the one its
    /// programs get); false on error.</summary>
    public static bool OwnLimit(int resource, out ulong soft)
    {
        ulong* limits = stackalloc ulong[2];
        soft = 0;
        if (Native.getrlimit(resource, limits) == -1) return false;
        soft = limits[0];
        return true;
    }

    /// <summary>The soft limit the programs this one runs will get (the start-up layer applies it).</summary>
    public static void SetSoftLimit(int resource, ulong soft) => Native.tk_limit_set_soft(resource, soft);

    /// <summary>localtime_r(3); false if the time cannot be converted.</summary>
    public static bool LocalTime(long t, out Native.Tm tm)
    {
        fixed (Native.Tm* p = &tm) return Native.localtime_r(&t, p) != null;
    }
}

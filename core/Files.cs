// Whole-file reads and the djb open modes (open_read, open_append, open_trunc).
namespace Toolkit;

public static unsafe class Files
{
    public static int Open(ReadOnlySpan<byte> path, int flags, int mode = 0)
    {
        fixed (byte* z = Args.Z(path)) return Native.open(z, flags, mode);
    }

    /// <summary>djb's open_read: O_RDONLY|O_NONBLOCK.</summary>
    public static int OpenRead(ReadOnlySpan<byte> path) => Open(path, Native.O_RDONLY | Native.O_NONBLOCK | Native.O_CLOEXEC);

    /// <summary>djb's open_append: O_WRONLY|O_NONBLOCK|O_APPEND|O_CREAT, mode 0600.</summary>
    public static int OpenAppend(ReadOnlySpan<byte> path, bool closeOnExec = true) =>
        Open(path, Native.O_WRONLY | Native.O_NONBLOCK | Native.O_APPEND | Native.O_CREAT | (closeOnExec ? Native.O_CLOEXEC : 0), 0x180);

    /// <summary>djb's open_trunc: O_WRONLY|O_NONBLOCK|O_TRUNC|O_CREAT, mode 0644.</summary>
    public static int OpenTrunc(ReadOnlySpan<byte> path) =>
        Open(path, Native.O_WRONLY | Native.O_NONBLOCK | Native.O_TRUNC | Native.O_CREAT | Native.O_CLOEXEC, 0x1a4);

    public static int Unlink(ReadOnlySpan<byte> path) { fixed (byte* z = Args.Z(path)) return Native.unlink(z); }
    public static int Chmod(ReadOnlySpan<byte> path, int mode) { fixed (byte* z = Args.Z(path)) return Native.chmod(z, mode); }

    public static int Rename(ReadOnlySpan<byte> from, ReadOnlySpan<byte> to)
    {
        fixed (byte* a = Args.Z(from)) fixed (byte* b = Args.Z(to)) return Native.rename(a, b);
    }

    public static int Stat(ReadOnlySpan<byte> path, out Native.Stat st)
    {
        fixed (Native.Stat* p = &st) fixed (byte* z = Args.Z(path)) return Native.stat(z, p);
    }

    /// <summary>The whole file, or null with errno (djb's openreadclose without the ENOENT case).</summary>
    public static byte[] ReadAll(ReadOnlySpan<byte> path, out int errno)
    {
        int fd = OpenRead(path);
        if (fd == -1) { errno = Native.Errno; return null; }
        var data = ReadFd(fd, out errno);
        Native.close(fd);
        return data;
    }

    /// <summary>Everything readable from fd until end of file, or null with errno.</summary>
    public static byte[] ReadFd(int fd, out int errno)
    {
        errno = 0;
        var buf = new byte[4096];
        int len = 0;
        for (;;)
        {
            if (len == buf.Length) Array.Resize(ref buf, buf.Length * 2);
            nint r;
            fixed (byte* p = buf) r = Native.read(fd, p + len, buf.Length - len);
            if (r < 0)
            {
                int e = Native.Errno;
                if (e == 4) continue;
                errno = e;
                return null;
            }
            if (r == 0) break;
            len += (int)r;
        }
        Array.Resize(ref buf, len);
        return buf;
    }
}

/// <summary>struct dirent from readdir(3) (glibc, 64-bit: d_name at offset 19).</summary>
public static unsafe class Dirent
{
    public static byte[] Name(byte* entry) => new ReadOnlySpan<byte>(entry + 19, Args.Length(entry + 19)).ToArray();
}

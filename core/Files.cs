// The system calls on paths, taking byte strings (the one zero-terminated copy for C is made
// here, by Args.Z), the djb open modes (open_read, open_write, open_append, open_trunc), whole-file
// reads, and a directory's entries. Failures are -1 (or null) with the error in Native.Errno.
namespace Toolkit;

public static unsafe class Files
{
    public static int Open(ReadOnlySpan<byte> path, int flags, int mode = 0)
    {
        fixed (byte* z = Args.Z(path)) return Native.open(z, flags, mode);
    }

    /// <summary>djb's open_read: O_RDONLY|O_NONBLOCK.</summary>
    public static int OpenRead(ReadOnlySpan<byte> path) => Open(path, Native.O_RDONLY | Native.O_NONBLOCK | Native.O_CLOEXEC);

    /// <summary>djb's open_write: O_WRONLY|O_NONBLOCK (a FIFO without a reader is ENXIO).</summary>
    public static int OpenWrite(ReadOnlySpan<byte> path) => Open(path, Native.O_WRONLY | Native.O_NONBLOCK | Native.O_CLOEXEC);

    /// <summary>djb's open_append: O_WRONLY|O_NONBLOCK|O_APPEND|O_CREAT, mode 0600.</summary>
    public static int OpenAppend(ReadOnlySpan<byte> path, bool closeOnExec = true) =>
        Open(path, Native.O_WRONLY | Native.O_NONBLOCK | Native.O_APPEND | Native.O_CREAT | (closeOnExec ? Native.O_CLOEXEC : 0), Mode.Rw_______);

    /// <summary>djb's open_trunc: O_WRONLY|O_NONBLOCK|O_TRUNC|O_CREAT, mode 0644.</summary>
    public static int OpenTrunc(ReadOnlySpan<byte> path) =>
        Open(path, Native.O_WRONLY | Native.O_NONBLOCK | Native.O_TRUNC | Native.O_CREAT | Native.O_CLOEXEC, Mode.Rw_r__r__);

    public static int Unlink(ReadOnlySpan<byte> path) { fixed (byte* z = Args.Z(path)) return Native.unlink(z); }
    public static int Chmod(ReadOnlySpan<byte> path, int mode) { fixed (byte* z = Args.Z(path)) return Native.chmod(z, mode); }
    public static int Chdir(ReadOnlySpan<byte> path) { fixed (byte* z = Args.Z(path)) return Native.chdir(z); }
    public static int Mkdir(ReadOnlySpan<byte> path, int mode) { fixed (byte* z = Args.Z(path)) return Native.mkdir(z, mode); }
    public static int Mkfifo(ReadOnlySpan<byte> path, int mode) { fixed (byte* z = Args.Z(path)) return Native.mkfifo(z, mode); }

    public static int Chown(ReadOnlySpan<byte> path, uint uid, uint gid)
    {
        fixed (byte* z = Args.Z(path)) return Native.chown(z, uid, gid);
    }

    public static int Rename(ReadOnlySpan<byte> from, ReadOnlySpan<byte> to)
    {
        fixed (byte* a = Args.Z(from)) fixed (byte* b = Args.Z(to)) return Native.rename(a, b);
    }

    public static int Link(ReadOnlySpan<byte> from, ReadOnlySpan<byte> to)
    {
        fixed (byte* a = Args.Z(from)) fixed (byte* b = Args.Z(to)) return Native.link(a, b);
    }

    /// <summary>readlink(2) into target (cut to its length): the bytes stored, or -1.</summary>
    public static int ReadLink(ReadOnlySpan<byte> path, Span<byte> target)
    {
        fixed (byte* z = Args.Z(path)) fixed (byte* t = target) return (int)Native.readlink(z, t, target.Length);
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
        var data = new Bytes(4096);
        for (;;)
        {
            int r = Sys.Read(fd, data.Room(1));
            if (r == -1) { errno = Native.Errno; return null; }
            if (r == 0) return data.ToArray();
            data.Length += r;
        }
    }
}

/// <summary>File modes as ls shows them, so rw-r--r-- (0644) is Rw_r__r__: each constant is
/// written in binary, three bits for the owner, the group and others, "_" for a "-".</summary>
public static class Mode
{
    public const int Rw_______ = 0b110_000_000;
    public const int Rw_r__r__ = 0b110_100_100;
    public const int Rwx______ = 0b111_000_000;
    public const int Rwxr__r__ = 0b111_100_100;
    public const int Rwxr_xr_x = 0b111_101_101;
    /// <summary>The owner's execute bit (S_IXUSR), multilog's mark of a finished current file.</summary>
    public const int OwnerExecute = 0b001_000_000;
    /// <summary>umask 022: no write permission for group and others.</summary>
    public const int NoGroupOtherWrite = 0b000_010_010;
}

/// <summary>A directory's entries, "." and ".." included, by opendir(3) and readdir(3).</summary>
public sealed unsafe class Dir : IDisposable
{
    // struct dirent of glibc on x86-64: the name, zero-terminated, starts at byte 19.
    const int NameOffset = 19;
    nint dir;
    /// <summary>Why Next returned false: 0 at the end of the directory, else the error number.</summary>
    public int Errno;

    Dir(nint dir) { this.dir = dir; }

    /// <summary>The directory open for reading, or null with errno.</summary>
    public static Dir Open(ReadOnlySpan<byte> path)
    {
        nint d;
        fixed (byte* z = Args.Z(path)) d = Native.opendir(z);
        return d == 0 ? null : new Dir(d);
    }

    /// <summary>The next entry's name (valid until the next call); false at the end or on an error (Errno).</summary>
    public bool Next(out ReadOnlySpan<byte> name)
    {
        byte* entry = Native.readdir(dir);
        if (entry == null)
        {
            Errno = Native.Errno;
            name = default;
            return false;
        }
        name = new ReadOnlySpan<byte>(entry + NameOffset, Args.Length(entry + NameOffset));
        return true;
    }

    public void Dispose()
    {
        if (dir != 0) Native.closedir(dir);
        dir = 0;
    }
}

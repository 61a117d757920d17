// supervise/status, the 18 bytes supervise writes and svstat reads: TAI64N of the last pid
// change (12 bytes), the pid little-endian (4), paused (1), and the wanted state ('u', 'd',
// or 0 after "once"). Readers of djb's format read those 18 bytes and ignore the rest, so our
// supervise appends its extension after them, and only while one of the opt-in features has
// something to say (a service without them gets djb's 18 bytes): TAI64N of readiness (12,
// zero until ready), TAI64N of the restart a backoff waits for (12, zero when none), and
// flags (1): 1 ./finish is running, 2 ./run was given a notification descriptor.
namespace Toolkit;

public struct ServiceStatus
{
    public const int Size = 18;
    public const int ExtendedSize = 43;
    /// <summary>Where the extension's fields start.</summary>
    const int ReadyAt = 18, RestartAt = 30, FlagsAt = 42;
    public const byte Finishing = 1, Notifies = 2;
    public ulong Seconds;
    public uint Nanoseconds;
    public uint Pid;
    public byte Paused;
    public byte Want;
    public ulong ReadySeconds, RestartSeconds;
    public uint ReadyNanoseconds, RestartNanoseconds;
    public byte Flags;

    /// <summary>./finish is running.</summary>
    public readonly bool IsFinishing => (Flags & Finishing) != 0;
    /// <summary>./run has said it is ready, or was given no notification descriptor to say it.</summary>
    public readonly bool IsReady => (Flags & Notifies) == 0 || ReadySeconds != 0;

    /// <summary>Whether the extension has anything to say, so that the file gets it.</summary>
    public readonly bool Extended => ReadySeconds != 0 || RestartSeconds != 0 || Flags != 0;

    /// <summary>Packs the 18 bytes, and the extension if Extended; returns the length.</summary>
    public readonly int Pack(Span<byte> status)
    {
        Tai64.Pack(status, Seconds, Nanoseconds);
        uint pid = Pid;
        for (int i = 12; i < 16; i++) { status[i] = (byte)pid; pid >>= 8; }
        status[16] = Paused;
        status[17] = Want;
        if (!Extended) return Size;
        Tai64.Pack(status.Slice(ReadyAt), ReadySeconds, ReadyNanoseconds);
        Tai64.Pack(status.Slice(RestartAt), RestartSeconds, RestartNanoseconds);
        status[FlagsAt] = Flags;
        return ExtendedSize;
    }

    /// <summary>Reads the first 18 bytes, and the extension if the file is long enough to hold
    /// it (anything else after byte 18 is ignored, as djb's svstat ignores it).</summary>
    public static ServiceStatus Unpack(ReadOnlySpan<byte> status)
    {
        var s = new ServiceStatus();
        Tai64.Unpack(status, out s.Seconds, out s.Nanoseconds);
        for (int i = 15; i >= 12; i--) s.Pid = s.Pid << 8 | status[i];
        s.Paused = status[16];
        s.Want = status[17];
        if (status.Length < ExtendedSize) return s;
        Tai64.Unpack(status.Slice(ReadyAt), out s.ReadySeconds, out s.ReadyNanoseconds);
        Tai64.Unpack(status.Slice(RestartAt), out s.RestartSeconds, out s.RestartNanoseconds);
        s.Flags = status[FlagsAt];
        return s;
    }

    public enum Read { Done, CannotOpen, CannotRead, Short }

    /// <summary>Reads path (a supervise/status file): Done with the status, or what failed (with
    /// the error number for CannotOpen and CannotRead).</summary>
    public static Read From(ReadOnlySpan<byte> path, out ServiceStatus status, out int errno)
    {
        status = default;
        int fd = Files.OpenRead(path);
        errno = Native.Errno;
        if (fd == -1) return Read.CannotOpen;
        Span<byte> buf = stackalloc byte[ExtendedSize];
        int r = Sys.Read(fd, buf);
        errno = Native.Errno;
        Native.close(fd);
        if (r == -1) return Read.CannotRead;
        if (r < Size) return Read.Short;
        status = Unpack(buf.Slice(0, r));
        return Read.Done;
    }
}

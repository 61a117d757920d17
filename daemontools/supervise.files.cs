// The opt-in files of a service directory that supervise reads, each when it needs it (so a
// change takes effect at the next use): finish, notification-fd, down-signal, timeout-kill,
// timeout-finish, restart-backoff. A file that is missing means djb's behaviour; one that
// cannot be read or parsed gets a warning and means the same.
using Toolkit;

static class ServiceFiles
{
    static ReadOnlySpan<byte> Warning => "supervise: warning: "u8;
    public static byte[] Dir;

    /// <summary>s6's default for timeout-finish.</summary>
    const ulong FinishMilliseconds = 5000;

    public static bool HasFinish()
    {
        if (Files.Stat("finish"u8, out _) == 0) return true;
        if (Native.Errno != Native.ENOENT) Errors.WarnSys(Native.Errno, Warning, "unable to stat "u8, Dir, "/finish: "u8);
        return false;
    }

    /// <summary>The descriptor ./run tells its readiness on, or 0 without notification-fd.</summary>
    public static int NotificationFd()
    {
        if (!Number("notification-fd"u8, out ulong fd)) return 0;
        if (fd >= 1 && fd <= int.MaxValue) return (int)fd;
        Invalid("notification-fd"u8);
        return 0;
    }

    /// <summary>The signal svc -d sends: down-signal's, or TERM.</summary>
    public static int DownSignal()
    {
        Span<byte> buf = stackalloc byte[Longest];
        int n = FirstLine("down-signal"u8, buf);
        if (n < 0) return Native.SIGTERM;
        if (Signals.Parse(buf.Slice(0, n), out int sig)) return sig;
        Invalid("down-signal"u8);
        return Native.SIGTERM;
    }

    /// <summary>timeout-kill in milliseconds, or 0: never KILL.</summary>
    public static long KillMilliseconds() => Number("timeout-kill"u8, out ulong ms) ? Clamp(ms) : 0;

    /// <summary>timeout-finish in milliseconds (5000 without the file), or 0: no limit.</summary>
    public static long FinishTimeout() => Clamp(Number("timeout-finish"u8, out ulong ms) ? ms : FinishMilliseconds);

    /// <summary>restart-backoff's longest pause in seconds, or 0 without the file.</summary>
    public static long BackoffSeconds() => Number("restart-backoff"u8, out ulong s) ? Math.Max(1, Clamp(s)) : 0;

    static long Clamp(ulong n) => (long)Math.Min(n, int.MaxValue);

    /// <summary>A file's first line as a decimal number; false if it is missing or not one.</summary>
    static bool Number(ReadOnlySpan<byte> name, out ulong n)
    {
        n = 0;
        Span<byte> buf = stackalloc byte[Longest];
        int length = FirstLine(name, buf);
        if (length < 0) return false;
        if (length > 0 && Numbers.ScanULong(buf.Slice(0, length), out n) == length) return true;
        Invalid(name);
        return false;
    }

    /// <summary>Room for the first line of any valid file (a number of 20 digits, SIGVTALRM):
    /// read on the stack, as each start reads some, so that supervise makes no garbage for it.</summary>
    const int Longest = 32;

    /// <summary>Reads the start of a file into buf: the length of its first line (all of buf if
    /// it has no newline there), or -1 if it is missing or cannot be read.</summary>
    static int FirstLine(ReadOnlySpan<byte> name, Span<byte> buf)
    {
        int fd = Files.OpenRead(name);
        int r = fd == -1 ? -1 : Sys.Read(fd, buf);
        int err = Native.Errno;
        if (fd != -1) Native.close(fd);
        if (r == -1)
        {
            if (err != Native.ENOENT) Errors.WarnSys(err, Warning, "unable to read "u8, Dir, "/"u8, name, ": "u8);
            return -1;
        }
        int nl = buf.Slice(0, r).IndexOf((byte)'\n');
        return nl < 0 ? r : nl;
    }

    static void Invalid(ReadOnlySpan<byte> name) => Errors.Warn(Warning, "ignoring "u8, Dir, "/"u8, name, ": not valid"u8);
}

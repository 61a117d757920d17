// Processes that are not this one's children, as the kernel shows them: when one started
// (/proc/PID/stat), and waiting for one to end (a pidfd, which becomes readable when it has).
namespace Toolkit;

public static unsafe class Processes
{
    /// <summary>The kernel counts a process's start in these ticks since boot (USER_HZ, 100 on
    /// every Linux x86-64).</summary>
    const long TicksPerSecond = 100;
    /// <summary>Fields of /proc/PID/stat after the command's closing parenthesis: the state is
    /// the first (field 3 of proc(5)), the start time the twentieth (field 22).</summary>
    const int StartTimeField = 19;

    /// <summary>When process pid started, in milliseconds since the Unix epoch by the time of
    /// day; false if there is no such process or it has ended (a zombie).</summary>
    public static bool StartedAt(int pid, out long unixMilliseconds)
    {
        unixMilliseconds = 0;
        Span<byte> path = stackalloc byte[32];
        int n = 0;
        "/proc/"u8.CopyTo(path); n += 6;
        n += Numbers.Format(path.Slice(n), (ulong)pid);
        "/stat"u8.CopyTo(path.Slice(n)); n += 5;
        var stat = Files.ReadAll(path.Slice(0, n), out _);
        if (stat == null) return false;
        var rest = stat.AsSpan(stat.AsSpan().LastIndexOf((byte)')') + 1);
        ulong ticks = 0;
        for (int field = 0; field <= StartTimeField; field++)
        {
            rest = rest.TrimStart((byte)' ');
            int end = rest.IndexOf((byte)' ');
            if (end < 0) end = rest.Length;
            var word = rest.Slice(0, end);
            if (field == 0 && (word.SequenceEqual("Z"u8) || word.SequenceEqual("X"u8))) return false;
            if (field == StartTimeField && Numbers.ScanULong(word, out ticks) != word.Length) return false;
            rest = rest.Slice(end);
        }
        Native.TimeSpec real, boot;
        Native.clock_gettime(Native.CLOCK_REALTIME, &real);
        Native.clock_gettime(Native.CLOCK_BOOTTIME, &boot);
        long bootedAt = (real.Sec - boot.Sec) * 1000 + (real.Nsec - boot.Nsec) / 1000000;
        unixMilliseconds = bootedAt + (long)ticks * 1000 / TicksPerSecond;
        return true;
    }

    /// <summary>How a wait for a process ended.</summary>
    public enum Wait { Gone, TimedOut }

    /// <summary>Waits until process pid has ended, at most until deadline (Clock; -1: none).</summary>
    public static Wait Gone(int pid, long deadline)
    {
        int fd = Native.pidfd_open(pid, 0);
        if (fd == -1) return Native.Errno == Native.ESRCH || !StartedAt(pid, out _) ? Wait.Gone : PollProc(pid, deadline);
        Span<Native.PollFd> pfd = stackalloc Native.PollFd[1];
        try
        {
            for (;;)
            {
                long wait = deadline < 0 ? -1 : deadline - Clock.Now();
                if (deadline >= 0 && wait <= 0) return Wait.TimedOut;
                pfd[0] = new Native.PollFd { Fd = fd, Events = Native.POLLIN };
                if (Sys.Poll(pfd, (int)Math.Min(wait, int.MaxValue)) > 0) return Wait.Gone;
            }
        }
        finally { Native.close(fd); }
    }

    /// <summary>Without pidfds (kernels before 5.3): a look at /proc every tenth of a second.</summary>
    static Wait PollProc(int pid, long deadline)
    {
        const int Interval = 100;
        while (StartedAt(pid, out _))
        {
            if (deadline >= 0 && Clock.Now() >= deadline) return Wait.TimedOut;
            Sys.Poll(default, Interval);
        }
        return Wait.Gone;
    }
}

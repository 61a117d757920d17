// Processes that are not this one's children, as the kernel shows them in /proc (Linux): when
// one started, which are whose children, and waiting for one to end (a pidfd, which becomes
// readable when it has). supervise finds the ./run a killed supervise left; svscan KILLs what a
// supervise runs along with the supervise, whether or not its status file can be read.
using System.Collections.Generic;

namespace Toolkit;

public static unsafe class Processes
{
    /// <summary>The kernel counts a process's start in these ticks since boot (USER_HZ, 100 on
    /// every Linux x86-64).</summary>
    const long TicksPerSecond = 100;
    /// <summary>Fields of /proc/PID/stat after the command's closing parenthesis, counted from
    /// 0: the state (field 3 of proc(5)), the parent (field 4), the start time (field 22).</summary>
    const int StateField = 0, ParentField = 1, StartTimeField = 19;

    /// <summary>Field number field (after the command) of /proc/PID/stat, given as the
    /// directory entry's name; empty if the process is gone or the line is short.</summary>
    static ReadOnlySpan<byte> StatField(ReadOnlySpan<byte> pid, int field, out bool zombie)
    {
        zombie = false;
        var stat = Files.ReadAll([.. "/proc/"u8, .. pid, .. "/stat"u8], out _);
        if (stat == null) return default;
        // "PID (COMM) STATE PPID ...": COMM may hold anything, so the fields count from the last ')'.
        var rest = stat.AsSpan(stat.AsSpan().LastIndexOf((byte)')') + 1);
        for (int i = 0; ; i++)
        {
            rest = rest.TrimStart((byte)' ');
            int end = rest.IndexOf((byte)' ');
            if (end < 0) end = rest.Length;
            var word = rest.Slice(0, end);
            if (i == StateField) zombie = word.SequenceEqual("Z"u8) || word.SequenceEqual("X"u8);
            if (i == field || word.IsEmpty) return word;
            rest = rest.Slice(end);
        }
    }

    /// <summary>When process pid started, in milliseconds since the Unix epoch by the time of
    /// day; false if there is no such process or it has ended (a zombie).</summary>
    public static bool StartedAt(int pid, out long unixMilliseconds)
    {
        unixMilliseconds = 0;
        var word = StatField(Numbers.Text((ulong)pid), StartTimeField, out bool zombie);
        if (zombie || word.IsEmpty || Numbers.ScanULong(word, out ulong ticks) != word.Length) return false;
        Native.TimeSpec real, boot;
        Native.clock_gettime(Native.CLOCK_REALTIME, &real);
        Native.clock_gettime(Native.CLOCK_BOOTTIME, &boot);
        long bootedAt = (real.Sec - boot.Sec) * 1000 + (real.Nsec - boot.Nsec) / 1000000;
        unixMilliseconds = bootedAt + (long)ticks * 1000 / TicksPerSecond;
        return true;
    }

    /// <summary>The pids of the processes whose parent is one of parents.</summary>
    public static List<int> Children(HashSet<int> parents)
    {
        var found = new List<int>();
        using var proc = Dir.Open("/proc"u8);
        if (proc == null) return found;
        while (proc.Next(out var entry))
        {
            if (entry.Length == 0 || Numbers.ScanULong(entry, out ulong pid) != entry.Length) continue;
            var word = StatField(entry, ParentField, out _);
            if (Numbers.ScanULong(word, out ulong ppid) > 0 && parents.Contains((int)ppid)) found.Add((int)pid);
        }
        return found;
    }

    /// <summary>How a wait for a process ended.</summary>
    public enum Wait { Gone, TimedOut }

    /// <summary>Waits until process pid has ended, at most until deadline (Clock; -1: none).</summary>
    public static Wait Gone(int pid, long deadline)
    {
        int fd = Native.pidfd_open(pid, 0);
        if (fd == -1) return PollProc(pid, deadline);
        bool gone = Poll.Ready(fd, Native.POLLIN, deadline < 0 ? long.MaxValue : deadline);
        Native.close(fd);
        return gone ? Wait.Gone : Wait.TimedOut;
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

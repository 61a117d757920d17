// svscan's orderly stop, on TERM or INT. No more scans. Every service is sent what `svc -dx`
// sends, so that its supervise applies its own down signal and kill timeout, and its log `x`.
// Once a service's supervise has exited, svscan closes its own end of the log pipe, so that
// the logger reads all its service wrote, reaches the end of its input and exits on its own
// (then its supervise); `d` follows once the pipe has stayed empty for LogGrace while
// the logger still runs (another process keeps the pipe open). Supervises svscan did not
// start (an adopted tree) are watched through supervise/ok. Services still running after the
// bound, SVSCAN_STOP_TIMEOUT milliseconds (default 30000, 0 for none), get KILL, with the
// processes their supervises run; their logs then have KillWait more to read what is left, and get KILL after it.
// Exit 0 when everything stopped by itself, else 111 naming what was killed.
using System.Collections.Generic;
using Toolkit;

static partial class Svscan
{
    static ReadOnlySpan<byte> BoundVariable => "SVSCAN_STOP_TIMEOUT"u8;
    const long DefaultBound = 30000;
    /// <summary>How often supervises svscan did not start are looked at, and a control FIFO not yet there is tried again.</summary>
    const int Tick = 50;
    /// <summary>How long a log's pipe stays empty, with its service gone, before its logger gets `d`.</summary>
    const int LogGrace = 1000;
    /// <summary>How long logs have after their services were killed, and killed processes are waited for.</summary>
    const int KillWait = 5000;

    /// <summary>A service, then its log, on the way down.</summary>
    sealed class Stopping
    {
        public readonly Service Service;
        public readonly byte[] Log;
        public bool Told, Gone, LogTold, LogDowned, LogGone;
        public long EmptySince;
        public Stopping(Service service) { Service = service; Log = LogDir(service.Name); }
        public byte[] Dir => Service.Name;
        public bool Done => Gone && (LogGone || !Service.HasLog);
    }

    static void Stop()
    {
        // A supervise can exit between the opening of its control FIFO and the write.
        Native.tk_signal_set(Native.SIGPIPE, 1);
        // Started with CHLD ignored, svscan had its children collected by the kernel: their
        // pids say nothing, so they are watched as if svscan had not started them.
        if (Native.tk_signal_ignored(Native.SIGCHLD) != 0)
            foreach (var s in services) s.Pid = s.LogPid = 0;
        // Exits of supervises wake the waits below; nothing is started any more.
        Native.tk_signal_catch(Native.SIGCHLD);
        long deadline = Bound();
        bool servicesKilled = false;
        var killed = new List<byte[]>();
        var pending = new List<Stopping>();
        foreach (var s in services) pending.Add(new Stopping(s));
        for (;;)
        {
            Reap();
            long now = Clock.Now();
            foreach (var t in pending) Step(t, now);
            pending.RemoveAll(t => t.Done);
            if (pending.Count == 0) break;
            if (now >= deadline)
            {
                if (!servicesKilled)
                {
                    Kill(pending, killed, logs: false);
                    servicesKilled = true;
                    deadline = now + KillWait;
                    continue;
                }
                Kill(pending, killed, logs: true);
                break;
            }
            Signalled(Math.Min(Tick, deadline - now));
        }
        if (killed.Count == 0) Errors.Exit(0);
        var names = new List<byte>();
        foreach (var name in killed) { if (names.Count > 0) names.AddRange(", "u8); names.AddRange(name); }
        Errors.Die(111, Fatal, "killed what still ran after the time allowed for stopping: "u8, names.ToArray());
    }

    /// <summary>One look at a service and its log: what to send, what has exited. The log gets
    /// `x` at once: its supervise must know it before the logger reaches the end of its input,
    /// or it would start the logger again (and sleep a second) instead of exiting with it.</summary>
    static void Step(Stopping t, long now)
    {
        var s = t.Service;
        if (s.HasLog && !t.LogGone)
        {
            t.LogGone = Exited(t.Log, s.LogPid);
            if (!t.LogGone && !t.LogTold) t.LogTold = Control(t.Log, "x"u8);
        }
        if (!t.Gone)
        {
            t.Gone = Exited(t.Dir, s.Pid);
            if (!t.Gone) { if (!t.Told) t.Told = Control(t.Dir, "dx"u8); return; }
            // With the service's supervise gone, svscan's end is the last writer the logger waits for.
            if (s.HasLog) { Native.close(s.PipeWrite); s.PipeWrite = -1; }
        }
        if (!t.LogGone && t.LogTold && !t.LogDowned && LogDrained(t, now)) t.LogDowned = Control(t.Log, "d"u8);
    }

    /// <summary>The supervise of dir has exited: svscan's child (pid, 0 once collected), or one it did not start.</summary>
    static bool Exited(byte[] dir, int pid) => pid == 0 && !Supervised(dir);

    static long Bound()
    {
        var text = Args.GetEnv(BoundVariable);
        long ms = DefaultBound;
        if (text != null && text.Length > 0 && Numbers.ScanULong(text, out ulong v) == text.Length) ms = (long)Math.Min(v, long.MaxValue / 2);
        return ms == 0 ? long.MaxValue : Clock.Now() + ms;
    }

    /// <summary>The logger has read everything in its pipe for LogGrace and still runs.</summary>
    static bool LogDrained(Stopping t, long now)
    {
        int fd = t.Service.PipeRead;
        if (fd == -1 || Sys.Unread(fd) != 0) { t.EmptySince = 0; return false; }
        if (t.EmptySince == 0) t.EmptySince = now;
        return now - t.EmptySince >= LogGrace;
    }

    /// <summary>Writes commands to dir's supervise, as svc does; false if it cannot (yet).</summary>
    static bool Control(byte[] dir, ReadOnlySpan<byte> commands)
    {
        int fd = Files.OpenWrite([.. dir, .. "/supervise/control"u8]);
        if (fd == -1) return false;
        bool done = Sys.Write(fd, commands) == commands.Length;
        Native.close(fd);
        return done;
    }

    /// <summary>KILL to the supervise of each service of pending still running (and of each log
    /// too if logs) and to the processes it runs; then, for the logs, a bounded wait for the
    /// supervises to be gone.</summary>
    static void Kill(List<Stopping> pending, List<byte[]> killed, bool logs)
    {
        var supervises = new HashSet<int>();
        var locks = new HashSet<(ulong, ulong)>();
        foreach (var t in pending)
        {
            if (!t.Gone) Doomed(t.Dir, t.Service.Pid, killed, supervises, locks);
            if (logs && t.Service.HasLog && !t.LogGone) Doomed(t.Log, t.Service.LogPid, killed, supervises, locks);
        }
        // Supervises svscan did not start: found by the lock they hold.
        supervises.UnionWith(OpenFiles.Holders(locks).Values);
        // Their children first: once a supervise is dead, they are no longer known as its.
        foreach (var pid in Processes.Children(supervises)) Native.kill(pid, Native.SIGKILL);
        foreach (var pid in supervises) Native.kill(pid, Native.SIGKILL);
        if (!logs) return;
        long deadline = Clock.Now() + KillWait;
        for (long now; (now = Clock.Now()) < deadline;)
        {
            Reap();
            if (pending.TrueForAll(t => Exited(t.Dir, t.Service.Pid) && (!t.Service.HasLog || Exited(t.Log, t.Service.LogPid)))) return;
            Signalled(Math.Min(Tick, deadline - now));
        }
    }

    /// <summary>Adds dir's supervise to those to kill: its pid if svscan started it, else its lock.</summary>
    static void Doomed(byte[] dir, int supervise, List<byte[]> killed, HashSet<int> supervises, HashSet<(ulong, ulong)> locks)
    {
        killed.Add(dir);
        if (supervise != 0) supervises.Add(supervise);
        else if (Files.Stat([.. dir, .. "/supervise/lock"u8], out var st) == 0) locks.Add((st.Dev, st.Ino));
    }
}

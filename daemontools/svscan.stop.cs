// svscan's orderly stop, on TERM or INT: no more scans; every service is sent what `svc -dx`
// sends, so that its supervise applies its own down signal and kill timeout; once every
// service's supervise has exited, each log gets its input closed and `x`, so that the logger
// reads all its service wrote, reaches the end of its input and exits on its own (then its
// supervise); `d` too once the pipe stays empty and the logger still runs (another process
// keeps the pipe open). Supervises svscan did not start (an adopted tree) are watched through
// supervise/ok. What still runs after the bound, SVSCAN_STOP_TIMEOUT milliseconds (default
// 30000, 0 for none), gets KILL, and svscan exits 111 naming it; otherwise 0.
using System.Collections.Generic;
using Toolkit;

static partial class Svscan
{
    static ReadOnlySpan<byte> BoundVariable => "SVSCAN_STOP_TIMEOUT"u8;
    const long DefaultBound = 30000;
    /// <summary>How often supervises svscan did not start are looked at, and a control FIFO not yet there is tried again.</summary>
    const int Tick = 50;
    /// <summary>How long a log's pipe stays empty, after its input was closed, before its logger gets `d`.</summary>
    const int LogGrace = 1000;
    /// <summary>How long processes sent KILL are waited for.</summary>
    const int KillWait = 5000;

    sealed class Stopping
    {
        public Service Service;
        public bool Log, Told, Downed;
        public long EmptySince;
        public byte[] Dir => Log ? LogDir(Service.Name) : Service.Name;
        public int Pid => Log ? Service.LogPid : Service.Pid;
        public bool Gone => Pid == 0 && !Supervised(Dir);
    }

    static void Stop()
    {
        // A supervise can exit between the opening of its control FIFO and the write.
        Native.tk_signal_set(Native.SIGPIPE, 1);
        // Exits of supervises wake the waits below; nothing is started any more.
        Native.tk_signal_catch(Native.SIGCHLD);
        long deadline = Bound();
        var killed = new List<byte[]>();
        Reap();
        var pending = new List<Stopping>();
        foreach (var s in services) pending.Add(new Stopping { Service = s });
        Drain(pending, deadline, killed);
        foreach (var s in services)
        {
            if (!s.HasLog) continue;
            // With the service's supervise gone, svscan's end is the last writer the logger waits for.
            Native.close(s.PipeWrite);
            s.PipeWrite = -1;
            pending.Add(new Stopping { Service = s, Log = true });
        }
        Drain(pending, deadline, killed);
        if (killed.Count == 0) Errors.Exit(0);
        var names = new List<byte>();
        foreach (var name in killed) { if (names.Count > 0) names.AddRange(", "u8); names.AddRange(name); }
        Errors.Die(111, Fatal, "killed what still ran after the time allowed for stopping: "u8, names.ToArray());
    }

    static long Bound()
    {
        var text = Args.GetEnv(BoundVariable);
        long ms = DefaultBound;
        if (text != null && Numbers.ScanULong(text, out ulong v) == text.Length && text.Length > 0) ms = (long)Math.Min(v, long.MaxValue / 2);
        return ms == 0 ? long.MaxValue : Clock.Now() + ms;
    }

    /// <summary>Tells each of pending to stop and waits until all have; after the deadline, KILLs
    /// the rest, adding their names to killed.</summary>
    static void Drain(List<Stopping> pending, long deadline, List<byte[]> killed)
    {
        for (;;)
        {
            Reap();
            pending.RemoveAll(t => t.Gone);
            if (pending.Count == 0) return;
            long now = Clock.Now();
            foreach (var t in pending)
            {
                if (!t.Told) t.Told = Control(t.Dir, t.Log ? "x"u8 : "dx"u8);
                else if (t.Log && !t.Downed && LogDrained(t, now)) t.Downed = Control(t.Dir, "d"u8);
            }
            if (now >= deadline) { Kill(pending, killed); return; }
            Signalled(Math.Min(Tick, deadline - now));
        }
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

    /// <summary>KILL to each supervise in pending and the process it runs (as its status says),
    /// then a bounded wait for the supervises to be gone.</summary>
    static void Kill(List<Stopping> pending, List<byte[]> killed)
    {
        var locks = new HashSet<(ulong, ulong)>();
        foreach (var t in pending)
        {
            killed.Add(t.Dir);
            var status = Files.ReadAll([.. t.Dir, .. "/supervise/status"u8], out _);
            if (status != null && status.Length >= ServiceStatus.Size)
            {
                uint pid = ServiceStatus.Unpack(status).Pid;
                if (pid != 0) Native.kill((int)pid, Native.SIGKILL);
            }
            if (t.Pid != 0) Native.kill(t.Pid, Native.SIGKILL);
            else if (Files.Stat([.. t.Dir, .. "/supervise/lock"u8], out var st) == 0) locks.Add((st.Dev, st.Ino));
        }
        // Supervises svscan did not start: found by the lock they hold.
        foreach (var pid in OpenFiles.Holders(locks).Values) Native.kill(pid, Native.SIGKILL);
        long deadline = Clock.Now() + KillWait;
        for (long now; (now = Clock.Now()) < deadline;)
        {
            Reap();
            if (pending.TrueForAll(t => t.Gone)) break;
            Signalled(Math.Min(Tick, deadline - now));
        }
        pending.Clear();
    }
}

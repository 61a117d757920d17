// svscan [DIR]: every 5 seconds, start `supervise NAME` for each subdirectory NAME of DIR
// (default .) that has none running, and `supervise log` in NAME when NAME/log exists, with
// one pipe from the service's output to the log's input held open by svscan for as long as
// the pair lives. Services are known by device and inode; names starting with "." are
// skipped. Between scans svscan sleeps.
// Beyond 0.76: HUP or ALRM makes it scan at once; TERM or INT stops the whole tree, logs last
// (svscan.stop.cs); a directory whose supervise is already running (svscan restarted over a
// running tree) gets no second one, and a log pipe such a pair still holds is reopened.
using System.Collections.Generic;
using Toolkit;

static partial class Svscan
{
    static ReadOnlySpan<byte> Fatal => "svscan: fatal: "u8;
    static ReadOnlySpan<byte> Warning => "svscan: warning: "u8;
    const int MaxServices = 1000;
    const int ScanInterval = 5000;
    /// <summary>The descriptors a supervise was started with: the pipe is its stdin in the log's, stdout in the service's.</summary>
    const int LogInput = 0, ServiceOutput = 1;

    sealed class Service
    {
        public byte[] Name;
        public ulong Dev, Ino;
        public bool Active, HasLog;
        public int Pid, LogPid;
        public int PipeRead = -1, PipeWrite = -1;
    }

    static readonly List<Service> services = new();
    static readonly byte[][] LogArgv = ["supervise"u8.ToArray(), "log"u8.ToArray()];
    static readonly int[] StopSignals = [Native.SIGTERM, Native.SIGINT];
    static readonly int[] ScanSignals = [Native.SIGHUP, Native.SIGALRM];
    static int selfpipe;

    internal static int Main()
    {
        var argv = Args.Argv;
        if (argv.Length > 1 && Files.Chdir(argv[1]) == -1)
            Errors.DieSys(111, Native.Errno, Fatal, "unable to chdir to "u8, argv[1], ": "u8);
        selfpipe = Native.tk_selfpipe();
        if (selfpipe == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to create pipe: "u8);
        // A signal svscan was started ignoring stays ignored, for it and for every supervise.
        foreach (int sig in (int[])[.. StopSignals, .. ScanSignals])
            if (Native.tk_signal_ignored(sig) == 0 && Native.tk_signal_catch(sig) == -1)
                Errors.DieSys(111, Native.Errno, Fatal, "unable to catch signals: "u8);
        for (;;)
        {
            Scan();
            if (Rest()) Stop();
        }
    }

    /// <summary>Waits until the next scan is due: 5 seconds, less if HUP or ALRM comes; true
    /// when TERM or INT came.</summary>
    static bool Rest()
    {
        long deadline = Clock.Now() + ScanInterval;
        for (long left; (left = deadline - Clock.Now()) > 0;)
        {
            switch (Signalled(left))
            {
                case Signal.Stop: return true;
                case Signal.Scan: return false;
            }
        }
        return false;
    }

    enum Signal { None, Scan, Stop }

    /// <summary>Waits at most ms for a signal; the strongest of those that came.</summary>
    static Signal Signalled(long ms)
    {
        Span<Native.PollFd> fd = [new Native.PollFd { Fd = selfpipe, Events = Native.POLLIN }];
        Sys.Poll(fd, (int)Math.Min(ms, int.MaxValue));
        var got = Signal.None;
        Span<byte> ch = stackalloc byte[1];
        while (Sys.Read(selfpipe, ch) == 1)
        {
            if (Array.IndexOf(StopSignals, (int)ch[0]) >= 0) got = Signal.Stop;
            else if (Array.IndexOf(ScanSignals, (int)ch[0]) >= 0 && got == Signal.None) got = Signal.Scan;
        }
        return got;
    }

    /// <summary>Collects the supervises that have exited.</summary>
    static void Reap()
    {
        int r;
        while ((r = Exec.WaitNoHang(out _)) > 0)
        {
            foreach (var s in services)
            {
                if (s.Pid == r) { s.Pid = 0; break; }
                if (s.LogPid == r) { s.LogPid = 0; break; }
            }
        }
    }

    static void Scan()
    {
        Reap();
        foreach (var s in services) s.Active = false;

        using (var dir = Dir.Open("."u8))
        {
            if (dir == null) { Errors.WarnSys(Native.Errno, Warning, "unable to read directory: "u8); return; }
            while (dir.Next(out var name)) Start(name.ToArray());
            if (dir.Errno != 0) { Errors.WarnSys(dir.Errno, Warning, "unable to read directory: "u8); return; }
        }

        for (int i = 0; i < services.Count;)
        {
            var s = services[i];
            if (!s.Active && s.Pid == 0 && s.LogPid == 0)
            {
                if (s.HasLog) { Native.close(s.PipeRead); Native.close(s.PipeWrite); }
                services[i] = services[^1];
                services.RemoveAt(services.Count - 1);
                continue;
            }
            i++;
        }
    }

    static void Start(byte[] name)
    {
        if (name.Length == 0 || name[0] == '.') return;
        if (Files.Stat(name, out var st) == -1) { Errors.WarnSys(Native.Errno, Warning, "unable to stat "u8, name, ": "u8); return; }
        if (!st.IsDirectory) return;

        Service s = null;
        foreach (var t in services)
            if (t.Ino == st.Ino && t.Dev == st.Dev) { s = t; break; }
        if (s == null)
        {
            if (services.Count >= MaxServices)
            {
                Errors.Warn(Warning, "unable to start "u8, name, ": running too many services"u8);
                return;
            }
            s = new Service { Dev = st.Dev, Ino = st.Ino };
            if (name.Length <= 255)
            {
                byte[] log = [.. name, .. "/log"u8];
                if (Files.Stat(log, out _) == 0) s.HasLog = true;
                else if (Native.Errno != Native.ENOENT)
                {
                    Errors.WarnSys(Native.Errno, Warning, "unable to stat "u8, name, "/log: "u8);
                    return;
                }
            }
            if (s.HasLog && !Reopen(name, s) && !Sys.Pipe(out s.PipeRead, out s.PipeWrite))
            {
                Errors.WarnSys(Native.Errno, Warning, "unable to create pipe for "u8, name, ": "u8);
                return;
            }
            services.Add(s);
        }
        s.Active = true;
        s.Name = name;

        if (s.Pid == 0 && !Supervised(name))
        {
            ReadOnlySpan<FdAction> actions = s.HasLog ? [FdAction.Dup2(s.PipeWrite, ServiceOutput)] : default;
            int child = Exec.Spawn(["supervise"u8.ToArray(), name], null, actions, out int execError);
            if (child < 0) { Errors.WarnSys(-child, Warning, "unable to fork for "u8, name, ": "u8); return; }
            if (execError != 0) Errors.WarnSys(execError, Warning, "unable to start supervise "u8, name, ": "u8);
            s.Pid = child;
        }
        if (s.HasLog && s.LogPid == 0 && !Supervised(LogDir(name)))
        {
            int child = Exec.Spawn(LogArgv, null, [FdAction.Dup2(s.PipeRead, LogInput)], out int execError, dir: name);
            if (child < 0) { Errors.WarnSys(-child, Warning, "unable to fork for "u8, name, "/log: "u8); return; }
            if (execError < 0) Errors.WarnSys(-execError, Warning, "unable to switch to "u8, name, ": "u8);
            else if (execError != 0) Errors.WarnSys(execError, Warning, "unable to start "u8, name, "/log: "u8);
            s.LogPid = child;
        }
    }

    static byte[] LogDir(byte[] name) => [.. name, .. "/log"u8];

    /// <summary>A supervise runs in dir (svok's test: it holds supervise/ok open for reading).
    /// One svscan did not start is left alone: starting another would only print "unable to
    /// acquire lock" at every scan.</summary>
    static bool Supervised(byte[] dir)
    {
        int fd = Files.OpenWrite([.. dir, .. "/supervise/ok"u8]);
        if (fd == -1) return false;
        Native.close(fd);
        return true;
    }

    /// <summary>When the service or its log already has a supervise (a tree left by an earlier
    /// svscan), the pipe between them is reopened from that supervise's descriptor, so that a
    /// side started again later still writes to, or reads from, the other. False if neither has
    /// one, or the pipe cannot be had.</summary>
    static bool Reopen(byte[] name, Service s)
    {
        byte[] log = LogDir(name);
        if (!Supervised(log) && !Supervised(name)) return false;
        var locks = new Dictionary<(ulong, ulong), int>();
        var wanted = new HashSet<(ulong, ulong)>();
        foreach (var (dir, fd) in (ReadOnlySpan<(byte[], int)>)[(log, LogInput), (name, ServiceOutput)])
            if (Files.Stat([.. dir, .. "/supervise/lock"u8], out var st) == 0) { locks[(st.Dev, st.Ino)] = fd; wanted.Add((st.Dev, st.Ino)); }
        foreach (var (file, pid) in OpenFiles.Holders(wanted))
        {
            byte[] path = OpenFiles.Path(pid, locks[file]);
            if (Files.Stat(path, out var st) == -1 || !st.IsFifo) continue;
            // Read end first: the write end opens without blocking only once a reader exists.
            int read = Files.OpenRead(path);
            if (read == -1) continue;
            int write = Files.OpenWrite(path);
            if (write == -1) { Native.close(read); continue; }
            // Opened without blocking; the supervises must get the pipe as it was made, blocking.
            Native.fcntl(read, Native.F_SETFL, Native.O_RDONLY);
            Native.fcntl(write, Native.F_SETFL, Native.O_WRONLY);
            s.PipeRead = read;
            s.PipeWrite = write;
            return true;
        }
        return false;
    }
}

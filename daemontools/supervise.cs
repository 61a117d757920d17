// supervise DIR: run DIR/run, restart it when it exits, and obey one-letter commands written
// to DIR/supervise/control (u d o a h k t i p c x). The state is published in
// DIR/supervise/status (18 bytes, see core/ServiceStatus.cs); a reader on DIR/supervise/ok
// tells svok and svstat that supervise is running; DIR/supervise/lock keeps a second
// supervise out. Idle means idle: the loop sleeps in poll() on the signal pipe and the
// control FIFO with no timeout.
using Toolkit;

static class Supervise
{
    static ReadOnlySpan<byte> Fatal => "supervise: fatal: "u8;
    static ReadOnlySpan<byte> Warning => "supervise: warning: "u8;

    static byte[] dir;
    static int selfpipe;
    static int control;
    static int pid;
    static bool paused, wantSet = true, wantUp = true, exitWhenDown;
    static ServiceStatus status;

    internal static int Main()
    {
        var argv = Args.Argv;
        if (argv.Length != 2) Errors.Die(100, "supervise: usage: supervise dir"u8);
        dir = argv[1];
        selfpipe = Native.tk_selfpipe();
        if (selfpipe == -1 || Native.tk_signal_catch(Native.SIGCHLD) == -1)
            Errors.DieSys(111, Native.Errno, Fatal, "unable to create pipe for "u8, dir, ": "u8);
        Native.tk_signal_unblock(Native.SIGCHLD);
        if (Files.Chdir(dir) == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to chdir to "u8, dir, ": "u8);

        if (Files.Stat("down"u8, out _) == 0) wantUp = false;
        else if (Native.Errno != Native.ENOENT) Errors.DieSys(111, Native.Errno, Fatal, "unable to stat "u8, dir, "/down: "u8);
        MakeSuperviseDirectory();

        int lockFd = Files.OpenAppend("supervise/lock"u8);
        if (lockFd == -1 || Sys.Lock(lockFd, noWait: true) == -1)
            Errors.DieSys(111, Native.Errno, Fatal, "unable to acquire "u8, dir, "/supervise/lock: "u8);

        Files.Mkfifo("supervise/control"u8, Mode.Rw_______);
        control = Files.OpenRead("supervise/control"u8);
        if (control == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to read "u8, dir, "/supervise/control: "u8);
        // Kept open and never written: reads then never see end of file.
        if (Files.OpenWrite("supervise/control"u8) == -1)
            Errors.DieSys(111, Native.Errno, Fatal, "unable to write "u8, dir, "/supervise/control: "u8);

        PidChange();
        Announce();
        Files.Mkfifo("supervise/ok"u8, Mode.Rw_______);
        if (Files.OpenRead("supervise/ok"u8) == -1)
            Errors.DieSys(111, Native.Errno, Fatal, "unable to read "u8, dir, "/supervise/ok: "u8);

        if (wantUp) TryStart();
        Loop();
        Announce();
        Errors.Exit(0);
        return 0;
    }

    /// <summary>mkdir supervise; when it is a symbolic link to nowhere, the target is created (Debian).</summary>
    static void MakeSuperviseDirectory()
    {
        if (Files.Mkdir("supervise"u8, Mode.Rwx______) == 0 || Native.Errno != Native.EEXIST) return;
        Span<byte> target = stackalloc byte[256];
        int n = Files.ReadLink("supervise"u8, target);
        if (n == -1)
        {
            if (Native.Errno == Native.EINVAL) return;
            Errors.DieSys(111, Native.Errno, Fatal, "unable to readlink ./supervise: "u8);
        }
        Files.Mkdir(target.Slice(0, n), Mode.Rwx______);
    }

    static void PidChange() => Tai64.Now(out status.Seconds, out status.Nanoseconds);

    /// <summary>Writes supervise/status.new and renames it over supervise/status.</summary>
    static void Announce()
    {
        status.Pid = (uint)pid;
        status.Paused = (byte)(pid != 0 && paused ? 1 : 0);
        status.Want = (byte)(wantSet ? (wantUp ? 'u' : 'd') : 0);
        Span<byte> buf = stackalloc byte[ServiceStatus.Size];
        status.Pack(buf);

        int fd = Files.OpenTrunc("supervise/status.new"u8);
        if (fd == -1) { Errors.WarnSys(Native.Errno, Warning, "unable to open "u8, dir, "/supervise/status.new: "u8); return; }
        int w = Sys.Write(fd, buf);
        int err = Native.Errno;
        Native.close(fd);
        if (w == -1) { Errors.WarnSys(err, Warning, "unable to write "u8, dir, "/supervise/status.new: "u8); return; }
        if (w < ServiceStatus.Size) { Errors.Warn(Warning, "unable to write "u8, dir, "/supervise/status.new: partial write"u8); return; }
        if (Files.Rename("supervise/status.new"u8, "supervise/status"u8) == -1)
            Errors.WarnSys(Native.Errno, Warning, "unable to rename "u8, dir, "/supervise/status.new to status: "u8);
    }

    static readonly byte[][] RunArgv = ["./run"u8.ToArray()];

    /// <summary>Starts ./run, then sleeps a second: the only restart throttle.</summary>
    static void TryStart()
    {
        int child = Exec.Spawn(RunArgv, null, ReadOnlySpan<FdAction>.Empty, out int execError);
        if (child < 0)
        {
            Errors.WarnSys(-child, Warning, "unable to fork for "u8, dir, ", sleeping 60 seconds: "u8);
            Sleep.Seconds(60);
            return;
        }
        if (execError != 0) Errors.WarnSys(execError, Fatal, "unable to start "u8, dir, "/run: "u8);
        paused = false;
        pid = child;
        PidChange();
        Announce();
        Sleep.Seconds(1);
    }

    static void Loop()
    {
        Span<Native.PollFd> fds = stackalloc Native.PollFd[2];
        Span<byte> ch = stackalloc byte[1];
        for (;;)
        {
            if (exitWhenDown && pid == 0) return;
            fds[0] = new Native.PollFd { Fd = selfpipe, Events = Native.POLLIN };
            fds[1] = new Native.PollFd { Fd = control, Events = Native.POLLIN };
            Sys.Poll(fds, -1);
            while (Sys.Read(selfpipe, ch) == 1) { }

            int r;
            while ((r = Exec.WaitNoHang(out _)) > 0)
            {
                if (r == pid)
                {
                    pid = 0;
                    PidChange();
                    Announce();
                    if (exitWhenDown) return;
                    if (wantSet && wantUp) TryStart();
                    break;
                }
            }

            if (Sys.Read(control, ch) == 1) Command(ch[0]);
        }
    }

    static void Command(byte ch)
    {
        switch (ch)
        {
            case (byte)'d':
                wantSet = true; wantUp = false;
                if (pid != 0) { Native.kill(pid, Native.SIGTERM); Native.kill(pid, Native.SIGCONT); paused = false; }
                Announce();
                break;
            case (byte)'u':
                wantSet = true; wantUp = true;
                Announce();
                if (pid == 0) TryStart();
                break;
            case (byte)'o':
                wantSet = false;
                Announce();
                if (pid == 0) TryStart();
                break;
            case (byte)'a': Signal(Native.SIGALRM); break;
            case (byte)'h': Signal(Native.SIGHUP); break;
            case (byte)'k': Signal(Native.SIGKILL); break;
            case (byte)'t': Signal(Native.SIGTERM); break;
            case (byte)'i': Signal(Native.SIGINT); break;
            case (byte)'p':
                paused = true;
                Announce();
                Signal(Native.SIGSTOP);
                break;
            case (byte)'c':
                paused = false;
                Announce();
                Signal(Native.SIGCONT);
                break;
            case (byte)'x':
                exitWhenDown = true;
                Announce();
                break;
        }
    }

    static void Signal(int sig)
    {
        if (pid != 0) Native.kill(pid, sig);
    }
}

// supervise DIR: run DIR/run, restart it when it exits, and obey one-letter commands written
// to DIR/supervise/control (u d o a h k t i p c x). The state is published in
// DIR/supervise/status (18 bytes, see core/ServiceStatus.cs); a reader on DIR/supervise/ok
// tells svok and svstat that supervise is running; DIR/supervise/lock keeps a second
// supervise out. Idle means idle: the loop sleeps in poll() on the signal pipe and the
// control FIFO with no timeout.
using Toolkit;

static unsafe class Supervise
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
        fixed (byte* z = Args.Z(dir))
            if (Native.chdir(z) == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to chdir to "u8, dir, ": "u8);

        if (Files.Stat("down"u8, out _) == 0) wantUp = false;
        else if (Native.Errno != Native.ENOENT) Errors.DieSys(111, Native.Errno, Fatal, "unable to stat "u8, dir, "/down: "u8);
        MakeSuperviseDirectory();

        int lockFd = Files.OpenAppend("supervise/lock"u8);
        if (lockFd == -1 || Native.flock(lockFd, Native.LOCK_EX | Native.LOCK_NB) == -1)
            Errors.DieSys(111, Native.Errno, Fatal, "unable to acquire "u8, dir, "/supervise/lock: "u8);

        MakeFifo("supervise/control\0"u8);
        control = Files.OpenRead("supervise/control"u8);
        if (control == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to read "u8, dir, "/supervise/control: "u8);
        // Kept open and never written: reads then never see end of file.
        if (Files.Open("supervise/control"u8, Native.O_WRONLY | Native.O_NONBLOCK | Native.O_CLOEXEC) == -1)
            Errors.DieSys(111, Native.Errno, Fatal, "unable to write "u8, dir, "/supervise/control: "u8);

        PidChange();
        Announce();
        MakeFifo("supervise/ok\0"u8);
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
        fixed (byte* z = "supervise\0"u8)
        {
            if (Native.mkdir(z, 0x1c0) == 0 || Native.Errno != Native.EEXIST) return;
            byte* target = stackalloc byte[257];
            nint n = Native.readlink(z, target, 256);
            if (n == -1)
            {
                if (Native.Errno == Native.EINVAL) return;
                Errors.DieSys(111, Native.Errno, Fatal, "unable to readlink ./supervise: "u8);
            }
            target[n] = 0;
            Native.mkdir(target, 0x1c0);
        }
    }

    static void MakeFifo(ReadOnlySpan<byte> z)
    {
        fixed (byte* p = z) Native.mkfifo(p, 0x180);
    }

    static void PidChange() => Tai64.Now(out status.Seconds, out status.Nanoseconds);

    /// <summary>Writes supervise/status.new and renames it over supervise/status.</summary>
    static void Announce()
    {
        status.Pid = (uint)pid;
        status.Paused = (byte)(pid != 0 && paused ? 1 : 0);
        status.Want = (byte)(wantSet ? (wantUp ? 'u' : 'd') : 0);
        byte* buf = stackalloc byte[ServiceStatus.Size];
        status.Pack(new Span<byte>(buf, ServiceStatus.Size));

        int fd = Files.OpenTrunc("supervise/status.new"u8);
        if (fd == -1) { Errors.WarnSys(Native.Errno, Warning, "unable to open "u8, dir, "/supervise/status.new: "u8); return; }
        nint w = Native.write(fd, buf, ServiceStatus.Size);
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
        int child = Exec.Spawn(RunArgv, null, default, out int execError);
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
        Native.PollFd* fds = stackalloc Native.PollFd[2];
        byte ch;
        for (;;)
        {
            if (exitWhenDown && pid == 0) return;
            fds[0] = new Native.PollFd { Fd = selfpipe, Events = Native.POLLIN };
            fds[1] = new Native.PollFd { Fd = control, Events = Native.POLLIN };
            Native.poll(fds, 2, -1);
            while (Native.read(selfpipe, &ch, 1) == 1) { }

            for (;;)
            {
                int wstat;
                int r = Native.waitpid(-1, &wstat, Native.WNOHANG);
                if (r == 0) break;
                if (r == -1) { if (Native.Errno == Native.EINTR) continue; break; }
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

            if (Native.read(control, &ch, 1) == 1) Command(ch);
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

// supervise DIR: run DIR/run, restart it when it exits, and obey one-letter commands written
// to DIR/supervise/control (u d o a h k t i p c x). The state is published in
// DIR/supervise/status (18 bytes, see core/ServiceStatus.cs) and announced to the listeners in
// DIR/supervise/event (core/EventDir.cs); a reader on DIR/supervise/ok tells svok and svstat
// that supervise is running; DIR/supervise/lock keeps a second supervise out. Idle means idle:
// the loop sleeps in poll() on the signal pipe and the control FIFO, with a timeout only while
// a deadline of an opt-in file is pending (supervise.files.cs): timeout-kill, timeout-finish,
// restart-backoff.
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

    // The opt-in state: ./finish running, ./run's readiness pipe, and the deadlines (Clock
    // milliseconds, 0 when none) of a KILL after the down signal, of ./finish, and of a restart.
    static int finishPid;
    static int notifyFd = -1;
    static long killAt, finishKillAt, restartAt;
    static long runStartedAt, runLasted;
    static long backoff = 1;
    /// <summary>A run this long or longer resets the backoff.</summary>
    const long LongRun = 10000;
    const long Second = 1000;
    /// <summary>finish exits 125: do not restart (s6's convention).</summary>
    const int FinishSaysDown = 125;

    internal static int Main()
    {
        var argv = Args.Argv;
        if (argv.Length != 2) Errors.Die(100, "supervise: usage: supervise dir"u8);
        dir = argv[1];
        ServiceFiles.Dir = dir;
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
        StopOrphan();

        Files.Mkfifo("supervise/control"u8, Mode.Rw_______);
        control = Files.OpenRead("supervise/control"u8);
        if (control == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to read "u8, dir, "/supervise/control: "u8);
        // Kept open and never written: reads then never see end of file.
        if (Files.OpenWrite("supervise/control"u8) == -1)
            Errors.DieSys(111, Native.Errno, Fatal, "unable to write "u8, dir, "/supervise/control: "u8);
        EventDir.Make();

        PidChange();
        Announce("s"u8);
        Files.Mkfifo("supervise/ok"u8, Mode.Rw_______);
        if (Files.OpenRead("supervise/ok"u8) == -1)
            Errors.DieSys(111, Native.Errno, Fatal, "unable to read "u8, dir, "/supervise/ok: "u8);

        if (wantUp) TryStart();
        Loop();
        Announce("x"u8);
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

    /// <summary>A supervise killed with KILL leaves its ./run running. If the status file names a
    /// live process that started when the file says ./run did (within a second, so that a reused
    /// pid is never taken for it), it is that ./run: stop it as svc -d would, KILL it after
    /// timeout-kill, and wait for it, so that the service never runs twice.</summary>
    static void StopOrphan()
    {
        const long Tolerance = 1000;
        if (ServiceStatus.From("supervise/status"u8, out var old, out _) != ServiceStatus.Read.Done || old.Pid == 0) return;
        const ulong Year3000 = 32503680000;
        int orphan = (int)old.Pid;
        if (orphan <= 0 || old.Seconds < Tai64.Epoch || old.Seconds - Tai64.Epoch > Year3000) return;
        if (!Processes.StartedAt(orphan, out long started)) return;
        long recorded = (long)(old.Seconds - Tai64.Epoch) * Second + old.Nanoseconds / 1000000;
        if (Math.Abs(started - recorded) > Tolerance) return;
        Errors.Warn(Warning, "stopping "u8, dir, "/run left running by a previous supervise: pid "u8, Numbers.Text((ulong)orphan));
        Native.kill(orphan, ServiceFiles.DownSignal());
        Native.kill(orphan, Native.SIGCONT);
        long timeout = ServiceFiles.KillMilliseconds();
        if (Processes.Gone(orphan, timeout > 0 ? Clock.Now() + timeout : -1) == Processes.Wait.Gone) return;
        Native.kill(orphan, Native.SIGKILL);
        Processes.Gone(orphan, -1);
    }

    static void PidChange() => Tai64.Now(out status.Seconds, out status.Nanoseconds);

    /// <summary>Writes supervise/status.new and renames it over supervise/status, then tells the
    /// listeners of the events (none: nothing to tell).</summary>
    static void Announce(ReadOnlySpan<byte> events = default)
    {
        status.Pid = (uint)pid;
        status.Paused = (byte)(pid != 0 && paused ? 1 : 0);
        status.Want = (byte)(wantSet ? (wantUp ? 'u' : 'd') : 0);
        Span<byte> buf = stackalloc byte[ServiceStatus.ExtendedSize];
        int size = status.Pack(buf);

        int fd = Files.OpenTrunc("supervise/status.new"u8);
        if (fd == -1) { Errors.WarnSys(Native.Errno, Warning, "unable to open "u8, dir, "/supervise/status.new: "u8); return; }
        int w = Sys.Write(fd, buf.Slice(0, size));
        int err = Native.Errno;
        Native.close(fd);
        if (w == -1) { Errors.WarnSys(err, Warning, "unable to write "u8, dir, "/supervise/status.new: "u8); return; }
        if (w < size) { Errors.Warn(Warning, "unable to write "u8, dir, "/supervise/status.new: partial write"u8); return; }
        if (Files.Rename("supervise/status.new"u8, "supervise/status"u8) == -1)
            Errors.WarnSys(Native.Errno, Warning, "unable to rename "u8, dir, "/supervise/status.new to status: "u8);
        if (events.Length > 0) EventDir.Notify(events);
    }

    static readonly byte[][] RunArgv = ["./run"u8.ToArray()];

    /// <summary>Starts ./run, then (unless restart-backoff paces the restarts) waits a second,
    /// djb's only restart throttle, hearing only ./run's readiness meanwhile.</summary>
    static void TryStart()
    {
        CancelRestart();
        int fd = ServiceFiles.NotificationFd(), readEnd = -1, writeEnd = -1;
        if (fd != 0)
        {
            if (!Sys.Pipe(out readEnd, out writeEnd))
            {
                Errors.WarnSys(Native.Errno, Warning, "unable to create notification pipe for "u8, dir, ": "u8);
                fd = 0;
            }
            else Native.fcntl(readEnd, Native.F_SETFL, Native.O_NONBLOCK);
        }
        ReadOnlySpan<FdAction> actions = fd != 0 ? [FdAction.Dup2(writeEnd, fd)] : default;
        int child = Exec.Spawn(RunArgv, null, actions, out int execError);
        if (fd != 0) Native.close(writeEnd);
        if (child < 0)
        {
            if (fd != 0) Native.close(readEnd);
            Errors.WarnSys(-child, Warning, "unable to fork for "u8, dir, ", sleeping 60 seconds: "u8);
            Sleep.Seconds(60);
            return;
        }
        if (execError != 0) Errors.WarnSys(execError, Fatal, "unable to start "u8, dir, "/run: "u8);
        paused = false;
        pid = child;
        runStartedAt = Clock.Now();
        notifyFd = fd != 0 ? readEnd : -1;
        status.Flags = (byte)(fd != 0 ? ServiceStatus.Notifies : 0);
        status.ReadySeconds = 0;
        status.ReadyNanoseconds = 0;
        PidChange();
        // Without a notification descriptor, up is ready.
        Announce(fd != 0 ? "u"u8 : "uU"u8);
        if (ServiceFiles.BackoffSeconds() == 0) Hold(Second);
    }

    /// <summary>djb's sleep after a start, during which only the readiness pipe is read.</summary>
    static void Hold(long milliseconds)
    {
        // poll ignores a descriptor of -1: without a readiness pipe this only sleeps
        long deadline = Clock.Now() + milliseconds;
        while (Poll.Ready(notifyFd, Native.POLLIN, deadline)) ReadNotification();
    }

    /// <summary>The first newline ./run writes on its notification descriptor marks it ready;
    /// the pipe is closed then, or at its end.</summary>
    static void ReadNotification()
    {
        Span<byte> buf = stackalloc byte[512];
        int r;
        while ((r = Sys.Read(notifyFd, buf)) > 0)
        {
            if (buf.Slice(0, r).IndexOf((byte)'\n') < 0) continue;
            Tai64.Now(out status.ReadySeconds, out status.ReadyNanoseconds);
            CloseNotification();
            Announce("U"u8);
            return;
        }
        if (r == 0) CloseNotification();
    }

    static void CloseNotification()
    {
        if (notifyFd == -1) return;
        Native.close(notifyFd);
        notifyFd = -1;
    }

    static void Loop()
    {
        Span<Native.PollFd> fds = stackalloc Native.PollFd[3];
        Span<byte> ch = stackalloc byte[1];
        for (;;)
        {
            if (exitWhenDown && pid == 0 && finishPid == 0) return;
            fds[0] = new Native.PollFd { Fd = selfpipe, Events = Native.POLLIN };
            fds[1] = new Native.PollFd { Fd = control, Events = Native.POLLIN };
            fds[2] = new Native.PollFd { Fd = notifyFd, Events = Native.POLLIN };
            Sys.Poll(fds.Slice(0, notifyFd != -1 ? 3 : 2), Timeout());
            while (Sys.Read(selfpipe, ch) == 1) { }
            if (notifyFd != -1 && fds[2].Revents != 0) ReadNotification();
            Deadlines();

            int r;
            while ((r = Exec.WaitNoHang(out int wait)) > 0)
            {
                if (r == pid)
                {
                    if (RunEnded(wait)) return;
                    break;
                }
                if (r == finishPid && FinishEnded(wait)) return;
            }

            if (Sys.Read(control, ch) == 1) Command(ch[0]);
        }
    }

    /// <summary>Milliseconds to the nearest pending deadline, -1 if none.</summary>
    static int Timeout()
    {
        long next = 0;
        foreach (long at in (ReadOnlySpan<long>)[killAt, finishKillAt, restartAt])
            if (at != 0 && (next == 0 || at < next)) next = at;
        return next == 0 ? -1 : (int)Math.Clamp(next - Clock.Now(), 0, int.MaxValue);
    }

    static void Deadlines()
    {
        long now = Clock.Now();
        if (killAt != 0 && now >= killAt)
        {
            killAt = 0;
            if (pid != 0) Native.kill(pid, Native.SIGKILL);
        }
        if (finishKillAt != 0 && now >= finishKillAt)
        {
            finishKillAt = 0;
            Errors.Warn(Warning, "killing "u8, dir, "/finish: it ran out of time"u8);
            Native.kill(finishPid, Native.SIGKILL);
        }
        if (restartAt != 0 && now >= restartAt)
        {
            restartAt = 0;
            // d cancels the pause: the service is wanted up, or once (o).
            if (pid == 0 && finishPid == 0) TryStart();
        }
    }

    /// <summary>./run has ended: run ./finish, or go on as djb's; true when supervise is to exit.</summary>
    static bool RunEnded(int wait)
    {
        pid = 0;
        killAt = 0;
        runLasted = Clock.Now() - runStartedAt;
        CloseNotification();
        status.Flags = 0;
        status.ReadySeconds = 0;
        status.ReadyNanoseconds = 0;
        PidChange();
        if (ServiceFiles.HasFinish() && StartFinish(wait)) return false;
        Announce("dD"u8);
        return Down();
    }

    /// <summary>Runs ./finish with ./run's exit code (-1 if it did not exit) and the low byte of
    /// its wait status; false if it could not be started.</summary>
    static bool StartFinish(int wait)
    {
        var code = WaitStatus.Crashed(wait) ? "-1"u8.ToArray() : Numbers.Text((ulong)WaitStatus.ExitCode(wait));
        byte[][] argv = ["./finish"u8.ToArray(), code, Numbers.Text((ulong)(wait & 0xff))];
        int child = Exec.Spawn(argv, null, ReadOnlySpan<FdAction>.Empty, out int execError);
        if (child < 0)
        {
            Errors.WarnSys(-child, Warning, "unable to fork for "u8, dir, "/finish: "u8);
            return false;
        }
        if (execError != 0) Errors.WarnSys(execError, Warning, "unable to start "u8, dir, "/finish: "u8);
        finishPid = child;
        long timeout = ServiceFiles.FinishTimeout();
        finishKillAt = timeout > 0 ? Clock.Now() + timeout : 0;
        status.Flags = ServiceStatus.Finishing;
        Announce("d"u8);
        return true;
    }

    static bool FinishEnded(int wait)
    {
        finishPid = 0;
        finishKillAt = 0;
        status.Flags = 0;
        if (!WaitStatus.Crashed(wait) && WaitStatus.ExitCode(wait) == FinishSaysDown) { wantSet = true; wantUp = false; }
        Announce("D"u8);
        return Down();
    }

    /// <summary>The service is down: exit after x, or start it again if it is wanted up, at
    /// once or after the backoff's pause; true when supervise is to exit.</summary>
    static bool Down()
    {
        if (exitWhenDown) return true;
        if (!(wantSet && wantUp)) return false;
        long most = ServiceFiles.BackoffSeconds();
        if (most == 0) { TryStart(); return false; }
        if (runLasted >= LongRun) backoff = 1;
        long pause = Math.Min(backoff, most);
        backoff = Math.Min(backoff * 2, most);
        restartAt = Clock.Now() + pause * Second;
        Tai64.Now(out status.RestartSeconds, out status.RestartNanoseconds);
        status.RestartSeconds += (ulong)pause;
        Announce();
        return false;
    }

    static void Command(byte ch)
    {
        switch (ch)
        {
            case (byte)'d':
                wantSet = true; wantUp = false;
                if (pid != 0)
                {
                    Native.kill(pid, ServiceFiles.DownSignal());
                    Native.kill(pid, Native.SIGCONT);
                    paused = false;
                    long timeout = ServiceFiles.KillMilliseconds();
                    if (timeout > 0) killAt = Clock.Now() + timeout;
                }
                CancelRestart();
                Announce();
                break;
            case (byte)'u':
                wantSet = true; wantUp = true;
                Announce();
                if (Idle()) TryStart();
                break;
            case (byte)'o':
                wantSet = false;
                Announce();
                if (Idle()) TryStart();
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

    /// <summary>Down with nothing pending: no ./finish running and no backoff pause, which
    /// starts ./run itself when it ends.</summary>
    static bool Idle() => pid == 0 && finishPid == 0 && restartAt == 0;

    static void CancelRestart()
    {
        restartAt = 0;
        status.RestartSeconds = 0;
        status.RestartNanoseconds = 0;
    }

    static void Signal(int sig)
    {
        if (pid != 0) Native.kill(pid, sig);
    }
}

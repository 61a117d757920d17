// svwait [-u | -U | -d | -D] [-a | -o] [-t MS] DIR...: wait until all (-a) or one (-o) of the
// services are up (-u), up and ready (-U), down (-d), or down with ./finish done (-D). It
// reads each status file once, then listens on each DIR/supervise/event (core/EventDir.cs) and
// follows the changes supervise tells of; the status of a supervise that announces nothing
// (Debian's) is read every second instead.
// A writer held on each DIR/supervise/ok reports the end of its supervise. Exit 0 when the
// condition holds, 1 after MS milliseconds, 102 when a supervise is not running, 100 on a
// usage error, 111 on a system error.
using System.Collections.Generic;
using Toolkit;

static class Svwait
{
    static ReadOnlySpan<byte> Fatal => "svwait: fatal: "u8;
    const int TimedOut = 1, NotRunning = 102;
    /// <summary>How often the status of a supervise that does not announce is read.</summary>
    const int PollInterval = 1000;

    enum Want { Up, Ready, Down, Finished }

    sealed class Service
    {
        public byte[] Dir, StatusPath;
        public EventDir.Listener Listener;
        public int Ok = -1;
        /// <summary>Up or down; and ready if up, done with ./finish if down.</summary>
        public bool Up, Ready;

        /// <summary>Takes in one of supervise's letters (core/EventDir.cs); false if it tells no
        /// change of state.</summary>
        public bool Apply(byte letter)
        {
            int i = "dDuU"u8.IndexOf(letter);
            if (i < 0) return false;
            Up = i >= 2;
            Ready = (i & 1) != 0;
            return true;
        }
    }

    static readonly List<Service> services = new();

    internal static int Main()
    {
        var argv = Args.Argv;
        var want = Want.Up;
        bool any = false;
        long timeout = 0;
        var opt = new Getopt(argv, "uUdDaot:");
        int c;
        while ((c = opt.Next()) != Getopt.Done)
        {
            switch (c)
            {
                case 'u': want = Want.Up; break;
                case 'U': want = Want.Ready; break;
                case 'd': want = Want.Down; break;
                case 'D': want = Want.Finished; break;
                case 'a': any = false; break;
                case 'o': any = true; break;
                case 't':
                    if (opt.Arg.Length == 0 || Numbers.ScanULong(opt.Arg, out ulong ms) != opt.Arg.Length) Usage();
                    else timeout = (long)Math.Min(ms, int.MaxValue);
                    break;
                default: Usage(); break;
            }
        }
        if (opt.Index >= argv.Length) Usage();
        long deadline = timeout == 0 ? -1 : Clock.Now() + timeout;

        Span<byte> name = stackalloc byte[64];
        int prefix = 0;
        "svwait-"u8.CopyTo(name); prefix += 7;
        prefix += Numbers.Format(name.Slice(prefix), (ulong)Native.getpid());
        name[prefix++] = (byte)'-';
        for (int i = opt.Index; i < argv.Length; i++)
        {
            var s = new Service { Dir = argv[i], StatusPath = [.. argv[i], .. "/supervise/status"u8] };
            services.Add(s);
            int n = prefix + Numbers.Format(name.Slice(prefix), (ulong)(i - opt.Index));
            s.Listener = EventDir.Listener.Open(s.Dir, name.Slice(0, n), out int err);
            if (s.Listener == null && err != Native.ENOENT)
                Die(111, err, "unable to listen on "u8, s.Dir, "/supervise/event: "u8);
            s.Ok = Files.OpenWrite([.. argv[i], .. "/supervise/ok"u8]);
            if (s.Ok == -1)
            {
                err = Native.Errno;
                if (err == Native.ENXIO || err == Native.ENOENT) Die(NotRunning, 0, "unable to watch "u8, s.Dir, ": supervise not running"u8);
                Die(111, err, "unable to open "u8, s.Dir, "/supervise/ok: "u8);
            }
        }
        Wait(want, any, deadline);
        return 0;
    }

    static void Wait(Want want, bool any, long deadline)
    {
        var fds = new Native.PollFd[2 * services.Count];
        Span<byte> buf = stackalloc byte[64];
        bool polling = services.Exists(s => s.Listener == null);
        foreach (var s in services) Load(s);
        for (;;)
        {
            if (Holds(want, any)) Exit(0);
            for (int i = 0; i < services.Count; i++)
            {
                var s = services[i];
                fds[2 * i] = new Native.PollFd { Fd = s.Listener?.Fd ?? -1, Events = Native.POLLIN };
                // No events asked: poll reports an error on a FIFO's writer once its reader is gone.
                fds[2 * i + 1] = new Native.PollFd { Fd = s.Ok, Events = 0 };
            }
            long left = deadline < 0 ? -1 : deadline - Clock.Now();
            if (deadline >= 0 && left <= 0) Die(TimedOut, 0, "timed out"u8);
            int wait = polling ? (int)(left < 0 ? PollInterval : Math.Min(left, PollInterval)) : (int)Math.Min(left, int.MaxValue);
            if (Sys.Poll(fds, wait) == -1 && Native.Errno != Native.EINTR) Die(111, Native.Errno, "unable to poll: "u8);
            for (int i = 0; i < services.Count; i++)
            {
                var s = services[i];
                if (s.Listener == null) { Load(s); continue; }
                if ((fds[2 * i].Revents & Native.POLLIN) == 0) continue;
                // Each change counts, even one the next has undone before this reads the status.
                for (var letters = s.Listener.Read(buf); letters.Length > 0; letters = s.Listener.Read(buf))
                    foreach (var letter in letters)
                        if (s.Apply(letter) && Holds(want, any)) Exit(0);
            }
            for (int i = 0; i < services.Count; i++)
            {
                if (fds[2 * i + 1].Revents == 0) continue;
                // Its last status may be the one waited for (d with x).
                Load(services[i]);
                if (Holds(want, any)) Exit(0);
                Die(NotRunning, 0, "unable to watch "u8, services[i].Dir, ": supervise not running"u8);
            }
        }
    }

    /// <summary>The service's state from its status file.</summary>
    static void Load(Service s)
    {
        var read = ServiceStatus.From(s.StatusPath, out var st, out int err);
        if (read == ServiceStatus.Read.Short) Die(111, 0, "unable to read "u8, s.StatusPath, ": bad format"u8);
        if (read != ServiceStatus.Read.Done) Die(111, err, "unable to read "u8, s.StatusPath, ": "u8);
        s.Up = st.Pid != 0;
        s.Ready = s.Up ? st.IsReady : !st.IsFinishing;
    }

    static bool Holds(Want want, bool any)
    {
        foreach (var s in services)
        {
            bool holds = want switch
            {
                Want.Up => s.Up,
                Want.Ready => s.Up && s.Ready,
                Want.Down => !s.Up,
                _ => !s.Up && s.Ready,
            };
            if (holds == any) return any;
        }
        return !any;
    }

    static void Usage() => Die(100, -1, "usage: svwait [-u | -U | -d | -D] [-a | -o] [-t ms] dir ..."u8);

    /// <summary>Removes the FIFOs, then exits: after a message (errno 0: none added; -1: a usage
    /// line, not a fatal one).</summary>
    static void Die(int code, int errno, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b = default, ReadOnlySpan<byte> c = default)
    {
        if (errno == -1) Errors.Warn("svwait: "u8, a);
        else if (errno == 0) Errors.Warn(Fatal, a, b, c);
        else Errors.WarnSys(errno, Fatal, a, b, c);
        Exit(code);
    }

    static void Exit(int code)
    {
        foreach (var s in services) s.Listener?.Dispose();
        Errors.Exit(code);
    }
}

// svstat [-j | -p] DIR...: one line per DIR saying whether its service is up (and its pid) or
// down, for how many seconds, and how that differs from its normal and wanted state; with -j
// one JSON object per DIR per line, with -p the Prometheus text format (svstat.formats.cs).
// Exit 0.
using Toolkit;

static class Svstat
{
    static ReadOnlySpan<byte> Fatal => "svstat: fatal: "u8;

    /// <summary>What svstat found in one directory: a problem (the text djb's svstat prints), or
    /// the status; Absent when the problem is that no supervise is running.</summary>
    internal sealed class Probe
    {
        public byte[] Dir;
        public byte[] Problem;
        public bool Absent, NormallyUp;
        public ServiceStatus Status;
        public ulong Now;
        public uint NowNanoseconds;

        public bool Up => Problem == null && Status.Pid != 0;
        /// <summary>djb's age: through a double (tai_approx), so ages over 2^53 seconds come out
        /// rounded to its precision.</summary>
        public ulong Seconds => (ulong)(double)(Now > Status.Seconds ? Now - Status.Seconds : 0);
        public bool Finishing => Status.IsFinishing;
        public bool Paused => Up && Status.Paused != 0;
        /// <summary>Seconds since ./run said it was ready, or null (no readiness, or not yet).</summary>
        public ulong? ReadySeconds => Up && Status.ReadySeconds != 0
            ? Now > Status.ReadySeconds ? Now - Status.ReadySeconds : 0 : null;
        /// <summary>Up, and ready if it tells its readiness.</summary>
        public bool Ready => Up && Status.IsReady;
        /// <summary>Whole seconds (rounded up) until the restart a backoff waits for, or null.</summary>
        public ulong? RestartIn => Problem == null && Status.Pid == 0 && Status.RestartSeconds != 0
            ? (ulong)Math.Max(0, (Tai64.MillisecondsBetween(Now, NowNanoseconds, Status.RestartSeconds, Status.RestartNanoseconds) + 999) / 1000)
            : null;
    }

    enum Format { Text, Json, Prometheus }

    internal static int Main()
    {
        var argv = Args.Argv;
        // Only an exact first argument is an option: djb's svstat takes every argument for a
        // directory, and so does this one for anything else.
        var format = Format.Text;
        int first = 1;
        if (argv.Length > 1 && argv[1].AsSpan().SequenceEqual("-j"u8)) { format = Format.Json; first = 2; }
        else if (argv.Length > 1 && argv[1].AsSpan().SequenceEqual("-p"u8)) { format = Format.Prometheus; first = 2; }

        var output = new Output(1);
        int origin = Files.OpenRead("."u8);
        if (origin == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to open current directory: "u8);
        var probes = new Probe[argv.Length - first];
        for (int i = first; i < argv.Length; i++)
        {
            var p = probes[i - first] = Look(argv[i]);
            if (format == Format.Text) Line(output, p);
            else if (format == Format.Json) SvstatFormats.Json(output, p);
            if (Native.fchdir(origin) == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to set directory: "u8);
        }
        if (format == Format.Prometheus) SvstatFormats.Prometheus(output, probes);
        output.Flush();
        Errors.Exit(0);
        return 0;
    }

    static Probe Look(byte[] dir)
    {
        var p = new Probe { Dir = dir };
        if (Files.Chdir(dir) == -1) return Problem(p, "unable to chdir: "u8, Native.Errno);
        if (Files.Stat("down"u8, out _) == -1)
        {
            if (Native.Errno != Native.ENOENT) return Problem(p, "unable to stat down: "u8, Native.Errno);
            p.NormallyUp = true;
        }
        int fd = Files.OpenWrite("supervise/ok"u8);
        if (fd == -1)
        {
            int e = Native.Errno;
            p.Absent = e == Native.ENXIO || e == Native.ENOENT;
            if (e == Native.ENXIO) { p.Problem = "supervise not running"u8.ToArray(); return p; }
            return Problem(p, "unable to open supervise/ok: "u8, e);
        }
        Native.close(fd);
        switch (ServiceStatus.From("supervise/status"u8, out p.Status, out int err))
        {
            case ServiceStatus.Read.CannotOpen: return Problem(p, "unable to open supervise/status: "u8, err);
            case ServiceStatus.Read.CannotRead: return Problem(p, "unable to read supervise/status: "u8, err);
            case ServiceStatus.Read.Short: p.Problem = "unable to read supervise/status: bad format"u8.ToArray(); return p;
        }
        Tai64.Now(out p.Now, out p.NowNanoseconds);
        return p;
    }

    static Probe Problem(Probe p, ReadOnlySpan<byte> what, int errno)
    {
        p.Problem = [.. what, .. Errors.Text(errno)];
        return p;
    }

    /// <summary>djb's line; the opt-in features add their clause right after the seconds.</summary>
    static void Line(Output o, Probe p)
    {
        o.Put(p.Dir);
        o.Put(": "u8);
        if (p.Problem != null) { o.Put(p.Problem); o.Put((byte)'\n'); return; }
        var s = p.Status;
        if (p.Up)
        {
            o.Put("up (pid "u8);
            o.Put(Numbers.Text(s.Pid));
            o.Put(") "u8);
        }
        else o.Put("down "u8);
        o.Put(Numbers.Text(p.Seconds));
        o.Put(" seconds"u8);
        if (p.ReadySeconds is ulong ready) { o.Put(", ready "u8); o.Put(Numbers.Text(ready)); o.Put(" seconds"u8); }
        if (!p.Up && p.Finishing) o.Put(", finishing"u8);
        if (p.RestartIn is ulong restart) { o.Put(", restarting in "u8); o.Put(Numbers.Text(restart)); o.Put(" seconds"u8); }
        if (s.Pid != 0 && !p.NormallyUp) o.Put(", normally down"u8);
        if (s.Pid == 0 && p.NormallyUp) o.Put(", normally up"u8);
        if (p.Paused) o.Put(", paused"u8);
        if (s.Pid == 0 && s.Want == 'u') o.Put(", want up"u8);
        if (s.Pid != 0 && s.Want == 'd') o.Put(", want down"u8);
        o.Put((byte)'\n');
    }
}

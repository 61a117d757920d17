// svstat DIR...: one line per DIR saying whether its service is up (and its pid) or down,
// for how many seconds, and how that differs from its normal and wanted state. Exit 0.
using Toolkit;

static class Svstat
{
    static ReadOnlySpan<byte> Fatal => "svstat: fatal: "u8;

    internal static int Main()
    {
        var argv = Args.Argv;
        var output = new Output(1);
        int origin = Files.OpenRead("."u8);
        if (origin == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to open current directory: "u8);
        for (int i = 1; i < argv.Length; i++)
        {
            output.Put(argv[i]);
            output.Put(": "u8);
            Show(output, argv[i]);
            output.Put((byte)'\n');
            if (Native.fchdir(origin) == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to set directory: "u8);
        }
        output.Flush();
        Errors.Exit(0);
        return 0;
    }

    static void Show(Output o, byte[] dir)
    {
        if (Files.Chdir(dir) == -1) { o.Put("unable to chdir: "u8); o.Put(Errors.Text(Native.Errno)); return; }
        bool normallyUp = false;
        if (Files.Stat("down"u8, out _) == -1)
        {
            if (Native.Errno != Native.ENOENT) { o.Put("unable to stat down: "u8); o.Put(Errors.Text(Native.Errno)); return; }
            normallyUp = true;
        }
        int fd = Files.OpenWrite("supervise/ok"u8);
        if (fd == -1)
        {
            if (Native.Errno == Native.ENXIO) o.Put("supervise not running"u8);
            else { o.Put("unable to open supervise/ok: "u8); o.Put(Errors.Text(Native.Errno)); }
            return;
        }
        Native.close(fd);
        fd = Files.OpenRead("supervise/status"u8);
        if (fd == -1) { o.Put("unable to open supervise/status: "u8); o.Put(Errors.Text(Native.Errno)); return; }
        Span<byte> buf = stackalloc byte[ServiceStatus.Size];
        int r = Sys.Read(fd, buf);
        int err = Native.Errno;
        Native.close(fd);
        if (r < ServiceStatus.Size)
        {
            o.Put("unable to read supervise/status: "u8);
            o.Put(r == -1 ? Errors.Text(err) : "bad format"u8);
            return;
        }
        var s = ServiceStatus.Unpack(buf);
        Tai64.Now(out ulong now, out _);
        // djb's svstat prints the age through a double (tai_approx): ages over 2^53 seconds
        // come out rounded to its precision.
        ulong seconds = (ulong)(double)(now > s.Seconds ? now - s.Seconds : 0);
        if (s.Pid != 0)
        {
            o.Put("up (pid "u8);
            o.Put(Numbers.Text(s.Pid));
            o.Put(") "u8);
        }
        else o.Put("down "u8);
        o.Put(Numbers.Text(seconds));
        o.Put(" seconds"u8);
        if (s.Pid != 0 && !normallyUp) o.Put(", normally down"u8);
        if (s.Pid == 0 && normallyUp) o.Put(", normally up"u8);
        if (s.Pid != 0 && s.Paused != 0) o.Put(", paused"u8);
        if (s.Pid == 0 && s.Want == 'u') o.Put(", want up"u8);
        if (s.Pid != 0 && s.Want == 'd') o.Put(", want down"u8);
    }
}

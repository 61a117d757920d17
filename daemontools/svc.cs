// svc [-udopchaitkx] DIR...: send the option letters (each once, in first-seen order) to the
// supervise running in each DIR, through DIR/supervise/control, in one write.
using Toolkit;

static class Svc
{
    static ReadOnlySpan<byte> Fatal => "svc: fatal: "u8;
    static ReadOnlySpan<byte> Warning => "svc: warning: "u8;

    internal static int Main()
    {
        var argv = Args.Argv;
        Native.tk_signal_set(Native.SIGPIPE, 1);
        Span<byte> data = stackalloc byte[20];
        int length = 0;
        var opt = new Getopt(argv, "udopchaitkx");
        int c;
        while ((c = opt.Next()) != Getopt.Done)
        {
            if (c == '?')
                Errors.Die(100, "svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill"u8);
            if (length < 20 && data.Slice(0, length).IndexOf((byte)c) < 0) data[length++] = (byte)c;
        }
        int origin = Files.OpenRead("."u8);
        if (origin == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to open current directory: "u8);
        for (int i = opt.Index; i < argv.Length; i++)
        {
            var dir = argv[i];
            if (Files.Chdir(dir) == -1) Errors.WarnSys(Native.Errno, Warning, "unable to chdir to "u8, dir, ": "u8);
            else
            {
                int fd = Files.OpenWrite("supervise/control"u8);
                if (fd == -1)
                {
                    if (Native.Errno == Native.ENXIO) Errors.Warn(Warning, "unable to control "u8, dir, ": supervise not running"u8);
                    else Errors.WarnSys(Native.Errno, Warning, "unable to control "u8, dir, ": "u8);
                }
                else
                {
                    Native.fcntl(fd, Native.F_SETFL, Native.O_WRONLY);
                    if (Sys.Write(fd, data.Slice(0, length)) < length)
                        Errors.WarnSys(Native.Errno, Warning, "error writing commands to "u8, dir, ": "u8);
                    Native.close(fd);
                }
            }
            if (Native.fchdir(origin) == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to set directory: "u8);
        }
        Errors.Exit(0);
        return 0;
    }
}

// svok DIR: exit 0 if a supervise is running in DIR (it holds DIR/supervise/ok open for
// reading), 100 if not.
using Toolkit;

static class Svok
{
    static ReadOnlySpan<byte> Fatal => "svok: fatal: "u8;

    internal static int Main()
    {
        var argv = Args.Argv;
        if (argv.Length < 2) Errors.Die(100, "svok: usage: svok dir"u8);
        if (Files.Chdir(argv[1]) == -1) Errors.DieSys(111, Native.Errno, Fatal, "unable to chdir to "u8, argv[1], ": "u8);
        int fd = Files.OpenWrite("supervise/ok"u8);
        if (fd == -1)
        {
            int e = Native.Errno;
            if (e == Native.ENOENT || e == Native.ENXIO) Errors.Exit(100);
            Errors.DieSys(111, e, Fatal, "unable to open "u8, argv[1], "/supervise/ok: "u8);
        }
        Errors.Exit(0);
        return 0;
    }
}

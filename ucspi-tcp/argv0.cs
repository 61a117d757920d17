// argv0 REALNAME NAME [ARG...]: run REALNAME (PATH searched) with argv[0] set to NAME.
using Toolkit;

static unsafe class Argv0
{
    internal static int Main()
    {
        var argv = Args.Argv;
        if (argv.Length < 3) Errors.Die(100, "argv0: usage: argv0 realname program [ arg ... ]"u8);
        using var block = new CStrings(argv[2..], Args.Environ());
        var path = Args.GetEnv("PATH"u8);
        int err;
        fixed (byte* file = Args.Z(argv[1]))
        fixed (byte* zpath = path == null ? null : Args.Z(path))
            err = Native.tk_exec(file, block.Argv, block.Envp, zpath);
        Errors.DieSys(111, err, "argv0: fatal: unable to run "u8, argv[1], ": "u8);
        return 111;
    }
}

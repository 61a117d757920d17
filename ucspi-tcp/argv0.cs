// argv0 REALNAME NAME [ARG...]: run REALNAME (PATH searched) with argv[0] set to NAME.
using Toolkit;

static class Argv0
{
    internal static int Main()
    {
        var argv = Args.Argv;
        if (argv.Length < 3) Errors.Die(100, "argv0: usage: argv0 realname program [ arg ... ]"u8);
        int err = Exec.Run(argv[2..], file: argv[1]);
        Errors.DieSys(111, err, "argv0: fatal: unable to run "u8, argv[1], ": "u8);
        return 111;
    }
}

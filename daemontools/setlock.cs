// setlock [-nNxX] FILE CHILD...: run CHILD holding an exclusive flock on FILE. -n: fail
// rather than wait for the lock; -x: exit 0 quietly if FILE cannot be opened or locked.
using Toolkit;

static class Setlock
{
    static ReadOnlySpan<byte> Fatal => "setlock: fatal: "u8;
    static void Usage() => Errors.Die(100, "setlock: usage: setlock [ -nNxX ] file program [ arg ... ]"u8);

    internal static int Main()
    {
        var argv = Args.Argv;
        bool noDelay = false, quiet = false;
        var opt = new Getopt(argv, "nNxX");
        int c;
        while ((c = opt.Next()) != Getopt.Done)
        {
            switch (c)
            {
                case 'n': noDelay = true; break;
                case 'N': noDelay = false; break;
                case 'x': quiet = true; break;
                case 'X': quiet = false; break;
                default: Usage(); break;
            }
        }
        int i = opt.Index;
        if (argv.Length - i < 2) Usage();
        var file = argv[i];
        // The descriptor stays open across exec: the child holds the lock.
        int fd = Files.OpenAppend(file, closeOnExec: false);
        if (fd == -1)
        {
            if (quiet) Errors.Exit(0);
            Errors.DieSys(111, Native.Errno, Fatal, "unable to open "u8, file, ": "u8);
        }
        if (Sys.Lock(fd, noWait: noDelay) == -1)
        {
            if (quiet) Errors.Exit(0);
            Errors.DieSys(111, Native.Errno, Fatal, "unable to lock "u8, file, ": "u8);
        }
        Exec.RunOrDie(Fatal, argv[(i + 1)..]);
        return 111;
    }
}

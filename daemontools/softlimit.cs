// softlimit OPTS CHILD...: run CHILD with lower soft resource limits. Each option sets one
// limit (-m four of them) to a number, clamped to the hard limit, or "=" for the hard limit;
// options apply in command-line order.
using Toolkit;

static class Softlimit
{
    static void Usage() => Errors.Die(100, "softlimit: usage: softlimit [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child"u8);

    internal static int Main()
    {
        var argv = Args.Argv;
        var opt = new Getopt(argv, "a:c:d:f:l:m:o:p:r:s:t:");
        int c;
        while ((c = opt.Next()) != Getopt.Done)
        {
            switch (c)
            {
                case 'a': Limit(Native.RLIMIT_AS, opt.Arg); break;
                case 'c': Limit(Native.RLIMIT_CORE, opt.Arg); break;
                case 'd': Limit(Native.RLIMIT_DATA, opt.Arg); break;
                case 'f': Limit(Native.RLIMIT_FSIZE, opt.Arg); break;
                case 'l': Limit(Native.RLIMIT_MEMLOCK, opt.Arg); break;
                case 'm':
                    Limit(Native.RLIMIT_DATA, opt.Arg);
                    Limit(Native.RLIMIT_STACK, opt.Arg);
                    Limit(Native.RLIMIT_MEMLOCK, opt.Arg);
                    Limit(Native.RLIMIT_AS, opt.Arg);
                    break;
                case 'o': Limit(Native.RLIMIT_NOFILE, opt.Arg); break;
                case 'p': Limit(Native.RLIMIT_NPROC, opt.Arg); break;
                case 'r': Limit(Native.RLIMIT_RSS, opt.Arg); break;
                case 's': Limit(Native.RLIMIT_STACK, opt.Arg); break;
                case 't': Limit(Native.RLIMIT_CPU, opt.Arg); break;
                default: Usage(); break;
            }
        }
        if (opt.Index >= argv.Length) Usage();
        Exec.RunOrDie("softlimit: fatal: "u8, argv[opt.Index..]);
        return 111;
    }

    /// <summary>Changes the limits the child will get (the start-up layer applies them at exec).</summary>
    static void Limit(int resource, byte[] arg)
    {
        Sys.Limit(resource, out ulong soft, out ulong hard);
        if (arg.Length == 1 && arg[0] == '=') soft = hard;
        else
        {
            if (Numbers.ScanULong(arg, out ulong n) != arg.Length) Usage();
            soft = n > hard ? hard : n;
        }
        Sys.SetSoftLimit(resource, soft);
    }
}

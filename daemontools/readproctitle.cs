// readproctitle IGNORED... DOTS: show the most recent bytes read from stdin (typically
// svscan's error output) in this process's own last argument, where ps can see them.
using Toolkit;

static class Readproctitle
{
    internal static int Main()
    {
        var argv = Args.Argv;
        if (argv.Length < 2) Errors.Exit(100);
        var title = Args.InPlace(argv.Length - 1);
        int len = title.Length;
        if (len < 5) Errors.Exit(100);
        title.Fill((byte)'.');
        Span<byte> one = stackalloc byte[1];
        for (;;)
        {
            int r = Sys.Read(0, one);
            if (r == 0) Errors.Exit(0);
            if (r < 0) Errors.Exit(111);
            byte ch = one[0];
            if (ch == 0) continue;
            for (int i = 4; i < len; i++) title[i - 1] = title[i];
            title[len - 1] = ch;
        }
    }
}

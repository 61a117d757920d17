// readproctitle IGNORED... DOTS: show the most recent bytes read from stdin (typically
// svscan's error output) in this process's own last argument, where ps can see them.
using Toolkit;

static unsafe class Readproctitle
{
    internal static int Main()
    {
        int argc = Native.tk_argc();
        if (argc < 2) Errors.Exit(100);
        byte* title = Native.tk_argv()[argc - 1];
        int len = Args.Length(title);
        if (len < 5) Errors.Exit(100);
        for (int i = 0; i < len; i++) title[i] = (byte)'.';
        byte ch;
        for (;;)
        {
            nint r = Native.read(0, &ch, 1);
            if (r == 0) Errors.Exit(0);
            if (r < 0) { if (Native.Errno == 4) continue; Errors.Exit(111); }
            if (ch == 0) continue;
            for (int i = 4; i < len; i++) title[i - 1] = title[i];
            title[len - 1] = ch;
        }
    }
}

// addcr: copy stdin to stdout, every LF becoming CRLF.
using Toolkit;

static class Addcr
{
    internal static int Main()
    {
        var input = new Input(0);
        var output = new Output(1);
        int ch;
        while ((ch = input.Get()) >= 0)
        {
            if (ch == '\n') output.Put((byte)'\r');
            output.Put((byte)ch);
        }
        if (ch == -2 || !output.Flush()) Errors.Exit(111);
        return 0;
    }
}

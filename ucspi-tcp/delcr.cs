// delcr: copy stdin to stdout, removing a CR that comes directly before an LF (a CR at the
// end of the input stays).
using Toolkit;

static class Delcr
{
    internal static int Main()
    {
        var input = new Input(0);
        var output = new Output(1);
        bool pendingCr = false;
        int ch;
        while ((ch = input.Get()) >= 0)
        {
            if (ch == '\n') { pendingCr = false; output.Put((byte)ch); continue; }
            if (pendingCr) output.Put((byte)'\r');
            pendingCr = ch == '\r';
            if (!pendingCr) output.Put((byte)ch);
        }
        if (pendingCr) output.Put((byte)'\r');
        if (ch == -2 || !output.Flush()) Errors.Exit(111);
        return 0;
    }
}

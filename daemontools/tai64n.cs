// tai64n: put a TAI64N timestamp ("@" + 24 hex digits + space) in front of every line,
// taken when the line's first byte arrives. Output is flushed before every read.
using Toolkit;

static class Tai64n
{
    internal static int Main()
    {
        var output = new Output(1, 2048);
        var input = new Input(0, 1024);
        input.BeforeRead = () => { if (!output.Flush()) Errors.Exit(111); };
        Span<byte> stamp = stackalloc byte[26];
        stamp[25] = (byte)' ';
        bool lineStart = true;
        for (;;)
        {
            int n = input.Fill();
            if (n == 0) break;
            if (n < 0) Errors.Exit(111);
            var chunk = input.Buffered;
            while (chunk.Length > 0)
            {
                if (lineStart)
                {
                    Tai64.Stamp(stamp);
                    output.Put(stamp);
                }
                int nl = chunk.IndexOf((byte)'\n');
                var piece = nl < 0 ? chunk : chunk.Slice(0, nl + 1);
                output.Put(piece);
                lineStart = nl >= 0;
                chunk = chunk.Slice(piece.Length);
            }
            input.Skip(n);
        }
        if (!output.Flush()) Errors.Exit(111);
        return 0;
    }
}

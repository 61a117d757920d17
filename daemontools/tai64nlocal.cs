// tai64nlocal: turn a leading "@" TAI64N stamp on each line into local time,
// "YYYY-MM-DD HH:MM:SS.NNNNNNNNN"; everything else passes through unchanged. A stamp that
// cannot be converted is passed through as it was (the C program crashes on some).
using Toolkit;

static class Tai64nlocal
{
    static Input input;
    static Output output;

    static int Next()
    {
        int c = input.Get();
        if (c < 0) { output.Flush(); Errors.Exit(c == -1 ? 0 : 111); }
        return c;
    }

    internal static int Main()
    {
        output = new Output(1, 8192);
        input = new Input(0, 8192);
        input.BeforeRead = () => { if (!output.Flush()) Errors.Exit(111); };
        var raw = new byte[64];
        for (;;)
        {
            int ch = Next();
            if (ch == '@')
            {
                ulong secs = 0, nanos = 0;
                int rawLength = 0;
                raw[rawLength++] = (byte)'@';
                for (;;)
                {
                    ch = Next();
                    uint u = (uint)(ch - '0');
                    if (u >= 10)
                    {
                        u = (uint)(ch - 'a');
                        if (u >= 6) break;
                        u += 10;
                    }
                    if (rawLength == raw.Length) Array.Resize(ref raw, raw.Length * 2);
                    raw[rawLength++] = (byte)ch;
                    secs <<= 4;
                    secs += nanos >> 28;
                    nanos &= 0xfffffff;
                    nanos <<= 4;
                    nanos += u;
                }
                if (!Local(secs - Tai64.Epoch, nanos))
                    output.Put(raw.AsSpan(0, rawLength));
            }
            for (;;)
            {
                output.Put((byte)ch);
                if (ch == '\n') break;
                ch = Next();
            }
        }
    }

    static bool Local(ulong secs, ulong nanos)
    {
        if (!Sys.LocalTime((long)secs, out var tm)) return false;
        Span<byte> b = stackalloc byte[64];
        int n = Numbers.Format(b, (ulong)(1900L + tm.Year));
        b[n++] = (byte)'-';
        n += Numbers.Format(b.Slice(n), (ulong)(tm.Mon + 1), 2);
        b[n++] = (byte)'-';
        n += Numbers.Format(b.Slice(n), (ulong)tm.Mday, 2);
        b[n++] = (byte)' ';
        n += Numbers.Format(b.Slice(n), (ulong)tm.Hour, 2);
        b[n++] = (byte)':';
        n += Numbers.Format(b.Slice(n), (ulong)tm.Min, 2);
        b[n++] = (byte)':';
        n += Numbers.Format(b.Slice(n), (ulong)tm.Sec, 2);
        b[n++] = (byte)'.';
        n += Numbers.Format(b.Slice(n), nanos, 9);
        output.Put(b.Slice(0, n));
        return true;
    }
}

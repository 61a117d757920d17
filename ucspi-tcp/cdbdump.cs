// cdbdump: read a cdb on stdin (sequentially: a pipe will do) and print its records in order
// as "+KLEN,DLEN:KEY->DATA\n", then an empty line; the output feeds cdbmake.
using Toolkit;

static class Cdbdump
{
    static ReadOnlySpan<byte> Fatal => "cdbdump: fatal: "u8;
    static readonly Input input = new Input(0, 65536);
    static readonly Output output = new Output(1, 65536);
    static ulong pos;

    internal static int Main()
    {
        uint eod = Number();
        Copy(2044, false);
        Span<byte> num = stackalloc byte[20];
        while (pos < eod)
        {
            uint klen = Number(), dlen = Number();
            output.Put((byte)'+');
            output.Put(num.Slice(0, Numbers.Format(num, klen)));
            output.Put((byte)',');
            output.Put(num.Slice(0, Numbers.Format(num, dlen)));
            output.Put((byte)':');
            Copy(klen, true);
            output.Put("->"u8);
            Copy(dlen, true);
            output.Put((byte)'\n');
        }
        output.Put((byte)'\n');
        if (!output.Flush()) DieWrite();
        return 0;
    }

    static uint Number()
    {
        Span<byte> b = stackalloc byte[4];
        for (int i = 0; i < 4; i++)
        {
            int c = input.Get();
            if (c < 0) DieRead(c);
            b[i] = (byte)c;
        }
        pos += 4;
        return Cdb.Unpack(b);
    }

    static void Copy(uint len, bool show)
    {
        pos += len;
        while (len > 0)
        {
            int n = input.Fill();
            if (n <= 0) DieRead(n == 0 ? -1 : -2);
            var chunk = input.Buffered;
            if ((uint)chunk.Length > len) chunk = chunk.Slice(0, (int)len);
            if (show)
            {
                output.Put(chunk);
                if (output.Errno != 0) DieWrite();
            }
            input.Skip(chunk.Length);
            len -= (uint)chunk.Length;
        }
    }

    static void DieRead(int c)
    {
        if (c == -2) Errors.DieSys(111, input.Errno, Fatal, "unable to read input: "u8);
        Errors.Die(111, Fatal, "unable to read input: truncated file"u8);
    }

    static void DieWrite() => Errors.DieSys(111, output.Errno, Fatal, "unable to write output: "u8);
}

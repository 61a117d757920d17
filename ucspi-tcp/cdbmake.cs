// cdbmake F FTMP: read records "+KLEN,DLEN:KEY->DATA\n" from stdin up to an empty line, write
// them as a cdb to FTMP (in input order, duplicates kept), then move FTMP over F. Keys and
// data are streamed: they need not fit in memory. On any error F is left as it was.
using Toolkit;

static class Cdbmake
{
    static ReadOnlySpan<byte> Fatal => "cdbmake: fatal: "u8;
    static byte[] tmp;
    static CdbMake make;
    static readonly Input input = new Input(0, 65536);

    internal static int Main()
    {
        var argv = Args.Argv;
        if (argv.Length < 3) Errors.Die(100, "cdbmake: usage: cdbmake f ftmp"u8);
        tmp = argv[2];
        make = CdbMake.Create(tmp, out int errno);
        if (make == null) DieWrite(errno);

        for (;;)
        {
            byte c = Get();
            if (c == '\n') break;
            if (c != '+') DieFormat();
            uint klen = Number((byte)',');
            uint dlen = Number((byte)':');
            if (!make.AddBegin(klen, dlen)) DieWrite(make.Errno);
            uint h = Copy(klen, CdbHash.Start);
            if (Get() != '-' || Get() != '>') DieFormat();
            Copy(dlen, 0);
            if (!make.AddEnd(klen, dlen, h)) DieWrite(make.Errno);
            if (Get() != '\n') DieFormat();
        }
        switch (make.Commit(tmp, argv[1]))
        {
            case CdbMake.Result.WriteFailed: DieWrite(make.Errno); break;
            case CdbMake.Result.RenameFailed: Errors.DieSys(111, make.Errno, Fatal, "unable to rename "u8, tmp, " to "u8, argv[1], ": "u8); break;
        }
        return 0;
    }

    static byte Get()
    {
        int c = input.Get();
        if (c == -2) Errors.DieSys(111, input.Errno, Fatal, "unable to read input: "u8);
        if (c == -1) DieFormat();
        return (byte)c;
    }

    /// <summary>Decimal digits up to the terminator (as djb: at most 429496720 before the last digit).</summary>
    static uint Number(byte terminator)
    {
        uint n = 0;
        for (;;)
        {
            byte c = Get();
            if (c == terminator) return n;
            if (c < '0' || c > '9') DieFormat();
            if (n > 429496720) DieWrite(12);
            n = n * 10 + (uint)(c - '0');
        }
    }

    /// <summary>Copies len input bytes into the cdb; returns the cdb hash continued from h.</summary>
    static uint Copy(uint len, uint h)
    {
        while (len > 0)
        {
            int n = input.Fill();
            if (n < 0) Errors.DieSys(111, input.Errno, Fatal, "unable to read input: "u8);
            if (n == 0) DieFormat();
            var chunk = input.Buffered;
            if ((uint)chunk.Length > len) chunk = chunk.Slice(0, (int)len);
            foreach (byte c in chunk) h = CdbHash.Add(h, c);
            if (!make.Put(chunk)) DieWrite(make.Errno);
            input.Skip(chunk.Length);
            len -= (uint)chunk.Length;
        }
        return h;
    }

    static void DieFormat() => Errors.Die(111, Fatal, "unable to read input: bad format"u8);
    static void DieWrite(int errno) => Errors.DieSys(111, errno, Fatal, "unable to create "u8, tmp, ": "u8);
}

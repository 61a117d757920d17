// cdbget KEY [SKIP]: print the data of the first record with KEY in the cdb on stdin (or of
// the record after SKIP others with that key); exit 100 if there is none.
using Toolkit;

static class Cdbget
{
    static ReadOnlySpan<byte> Fatal => "cdbget: fatal: "u8;

    internal static int Main()
    {
        var argv = Args.Argv;
        if (argv.Length < 2) Errors.Die(100, "cdbget: usage: cdbget key [skip]"u8);
        var key = argv[1];
        ulong skip = 0;
        if (argv.Length > 2) Numbers.ScanULong(argv[2], out skip);

        var cdb = Cdb.OpenFd(0, out int errno);
        if (cdb == null) DieRead(errno);
        cdb.FindStart();
        for (;;)
        {
            var r = cdb.FindNext(key);
            if (r == Found.Error) DieRead(cdb.Errno);
            if (r == Found.No) return 100;
            if (skip == 0) break;
            skip--;
        }
        var output = new Output(1);
        var buf = new byte[65536];
        ulong pos = cdb.DataPosition, len = cdb.DataLength;
        while (len > 0)
        {
            var part = buf.AsSpan(0, (int)Math.Min(len, (ulong)buf.Length));
            if (!cdb.Read(part, pos)) DieRead(cdb.Errno);
            output.Put(part);
            pos += (ulong)part.Length;
            len -= (ulong)part.Length;
        }
        if (!output.Flush()) Errors.DieSys(111, output.Errno, Fatal, "unable to write output: "u8);
        return 0;
    }

    static void DieRead(int errno) => Errors.DieSys(111, errno, Fatal, "unable to read input: "u8);
}

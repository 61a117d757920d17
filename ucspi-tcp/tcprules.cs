// tcprules RULES.cdb RULES.tmp: compile the rules read from stdin into RULES.tmp (a cdb),
// then move it over RULES.cdb; on any error RULES.cdb is left as it was. A rule is
// ADDRESS:deny or ADDRESS:allow, followed by ,NAME=qVALUEq settings (q any character);
// "#" lines, blank lines and lines without ":" are ignored; ranges like 1.2.3.37-53 expand
// to one key per number. An IPv6 address is accepted where djb's reading (address = text
// before the first ":") would not parse: the address then ends at the first ":" followed
// by "allow" or "deny" (see docs/tcprules.md). Beyond 0.88, an address with "/" (and
// without "=" and "@") is a CIDR block: its keys come from core/Cidr.cs, each rule's data led
// by the entry "#LINE BLOCK", which tcprulescheck shows and tcpserver ignores.
using System.Collections.Generic;
using Toolkit;

static class Tcprules
{
    static ReadOnlySpan<byte> Fatal => "tcprules: fatal: "u8;
    static byte[] cdbPath, tmpPath;
    static CdbMake make;
    static ulong lineNumber;

    internal static int Main()
    {
        var argv = Args.Argv;
        if (argv.Length < 3) Errors.Die(100, "tcprules: usage: tcprules rules.cdb rules.tmp"u8);
        cdbPath = argv[1];
        tmpPath = argv[2];
        make = CdbMake.Create(tmpPath, out int errno);
        if (make == null) Errors.DieSys(111, errno, Fatal, "unable to create "u8, tmpPath, ": "u8);

        var input = new Input(0, 65536);
        var line = new Bytes();
        var data = new Bytes();
        bool more = true;
        while (more)
        {
            more = ReadLine(input, line);
            if (line.Length == 0) break;
            lineNumber++;
            var x = line.Span;
            if (x[0] == '#') continue;
            while (x.Length > 0 && (x[^1] == '\n' || x[^1] == ' ' || x[^1] == '\t')) x = x.Slice(0, x.Length - 1);
            int colon = x.IndexOf((byte)':');
            if (colon < 0) continue;
            if (!Instructions(x.Slice(colon + 1), data))
            {
                colon = IPv6Colon(x);
                if (colon < 0 || !Instructions(x.Slice(colon + 1), data)) DieBad(x);
            }
            AddressData(x, colon, data.Span);
        }

        switch (make.Commit(tmpPath, cdbPath))
        {
            case CdbMake.Result.WriteFailed: DieWrite(make.Errno); break;
            case CdbMake.Result.RenameFailed: Errors.DieSys(111, make.Errno, Fatal, "unable to move "u8, tmpPath, " to "u8, cdbPath, ": "u8); break;
        }
        return 0;
    }

    /// <summary>djb's getln: the next line with its newline; false when the input ended without one.</summary>
    static bool ReadLine(Input input, Bytes line)
    {
        line.Length = 0;
        for (;;)
        {
            int n = input.Fill();
            if (n < 0) Errors.DieSys(111, input.Errno, Fatal, "unable to read input: "u8);
            if (n == 0) return false;
            var chunk = input.Buffered;
            int nl = chunk.IndexOf((byte)'\n');
            var piece = nl < 0 ? chunk : chunk.Slice(0, nl + 1);
            line.Add(piece);
            input.Skip(piece.Length);
            if (nl >= 0) return true;
        }
    }

    /// <summary>"deny" or "allow", then ",NAME=qVALUEq" settings, into data; false if that does not parse.</summary>
    static bool Instructions(ReadOnlySpan<byte> x, Bytes data)
    {
        data.Length = 0;
        if (x.StartsWith("deny"u8)) { data.Add("D\0"u8); x = x.Slice(4); }
        else if (x.StartsWith("allow"u8)) x = x.Slice(5);
        else return false;
        while (x.Length > 0)
        {
            if (x[0] != ',') return false;
            x = x.Slice(1);
            int eq = x.IndexOf((byte)'=');
            if (eq < 0) return false;
            data.Add("+"u8);
            data.Add(x.Slice(0, eq + 1));
            x = x.Slice(eq + 1);
            if (x.Length == 0) return false;
            byte quote = x[0];
            x = x.Slice(1);
            int end = x.IndexOf(quote);
            if (end < 0) return false;
            data.Add(x.Slice(0, end));
            data.Add("\0"u8);
            x = x.Slice(end + 1);
        }
        return true;
    }

    /// <summary>The first ":" followed by "allow" or "deny" (the IPv6 build's separator), or -1.</summary>
    static int IPv6Colon(ReadOnlySpan<byte> x)
    {
        for (int i = 0; i < x.Length; i++)
            if (x[i] == ':' && (x.Slice(i + 1).StartsWith("allow"u8) || x.Slice(i + 1).StartsWith("deny"u8))) return i;
        return -1;
    }

    /// <summary>Adds the rule for the address before the colon, expanding a range (an address with "-"
    /// and without "=" and "@").</summary>
    static void AddressData(ReadOnlySpan<byte> line, int colon, ReadOnlySpan<byte> data)
    {
        var address = line.Slice(0, colon);
        if (address.IndexOf((byte)'=') < 0 && address.IndexOf((byte)'@') < 0 && address.IndexOf((byte)'/') >= 0)
        {
            Block(line, address, data);
            return;
        }
        int dash = address.IndexOf((byte)'-');
        if (address.IndexOf((byte)'=') >= 0 || address.IndexOf((byte)'@') >= 0 || dash < 0)
        {
            Add(address, data);
            return;
        }
        int left = address.Slice(0, dash).LastIndexOf((byte)'.') + 1;
        int high = dash + 1;
        int dot = address.Slice(high).IndexOf((byte)'.');
        int right = dot < 0 ? address.Length : high + dot;
        ulong bottom = Number(address.Slice(left, dash - left), line), top = Number(address.Slice(high, right - high), line);
        if (top > 255) top = 255;
        var buffer = new byte[address.Length + 20];
        for (; bottom <= top; bottom++)
        {
            address.Slice(0, left).CopyTo(buffer);
            int n = left + Numbers.Format(buffer.AsSpan(left), bottom);
            address.Slice(right).CopyTo(buffer.AsSpan(n));
            Add(buffer.AsSpan(0, n + address.Length - right), data);
        }
    }

    /// <summary>A range bound: digits only up to the end or a NUL (none counts as 0), else the line does not parse.</summary>
    static ulong Number(ReadOnlySpan<byte> digits, ReadOnlySpan<byte> line)
    {
        int nul = digits.IndexOf((byte)0);
        if (nul >= 0) digits = digits.Slice(0, nul);
        if (Numbers.ScanULong(digits, out ulong n) != digits.Length) DieBad(line);
        return n;
    }

    /// <summary>Adds the rule for each key of a CIDR block, its data led by "#LINE BLOCK".</summary>
    static void Block(ReadOnlySpan<byte> line, ReadOnlySpan<byte> block, ReadOnlySpan<byte> data)
    {
        var keys = new List<byte[]>();
        switch (Cidr.Keys(block, keys))
        {
            case CidrError.Address: DieBlock(line, "bad address in CIDR block: "u8); break;
            case CidrError.Length: DieBlock(line, "bad prefix length in CIDR block: "u8); break;
            case CidrError.HostBits: DieBlock(line, "CIDR block has bits set below its prefix length: "u8); break;
            case CidrError.ZeroGroup: DieBlock(line, "IPv6 block with zero groups that tcpserver writes as \"::\": "u8); break;
        }
        var entry = new Bytes();
        entry.Add((byte)'#');
        entry.Add(Numbers.Text(lineNumber));
        entry.Add((byte)' ');
        entry.Add(block);
        entry.Add((byte)0);
        entry.Add(data);
        foreach (var key in keys) Add(key, entry.Span);
    }

    static void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        if (!make.Add(key, data)) DieWrite(make.Errno);
    }

    static void DieWrite(int errno) => Errors.DieSys(111, errno, Fatal, "unable to write to "u8, tmpPath, ": "u8);

    static void DieBad(ReadOnlySpan<byte> line) => Errors.Die(100, Fatal, "unable to parse this line: "u8, UpToNul(line));

    static void DieBlock(ReadOnlySpan<byte> line, ReadOnlySpan<byte> why) =>
        Errors.Die(100, Fatal, "unable to parse line "u8, Numbers.Text(lineNumber), ": "u8, why, UpToNul(line));

    /// <summary>The line as C prints it: up to its first NUL byte.</summary>
    static ReadOnlySpan<byte> UpToNul(ReadOnlySpan<byte> line)
    {
        int nul = line.IndexOf((byte)0);
        return nul < 0 ? line : line.Slice(0, nul);
    }
}

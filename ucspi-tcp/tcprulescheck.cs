// tcprulescheck RULES.cdb: show which rule tcpserver would apply to a connection described by
// $TCPREMOTEIP (default 0.0.0.0), $TCPREMOTEHOST and $TCPREMOTEINFO: "rule KEY:", a line per
// variable set, then "deny connection" or "allow connection"; "default:" if no rule matches.
// A rule from a CIDR block (data led by tcprules' "#LINE BLOCK") shows as "rule BLOCK (line
// LINE, key KEY):".
using Toolkit;

static class Tcprulescheck
{
    internal static int Main()
    {
        var argv = Args.Argv;
        if (argv.Length < 2) Errors.Die(100, "tcprulescheck: usage: tcprulescheck rules.cdb"u8);
        var ip = Args.GetEnv("TCPREMOTEIP"u8) ?? "0.0.0.0"u8.ToArray();
        var info = Args.GetEnv("TCPREMOTEINFO"u8);
        var host = Args.GetEnv("TCPREMOTEHOST"u8);
        if (Rules.Find(argv[1], ip, host, info, out var rule, out int errno) == Found.Error)
            Errors.DieSys(111, errno, "tcprulescheck: fatal: unable to read "u8, argv[1], ": "u8);

        var output = new Output(1);
        if (rule == null) output.Put("default:\nallow connection\n"u8);
        else
        {
            var entries = rule.Entries();
            output.Put("rule "u8);
            if (entries.Count > 0 && Provenance(entries[0], out var line, out var block))
            {
                output.Put(block);
                output.Put(" (line "u8);
                output.Put(line);
                output.Put(", key "u8);
                output.Put(rule.Key);
                output.Put(")"u8);
            }
            else output.Put(rule.Key);
            output.Put(":\n"u8);
            bool deny = false;
            foreach (var entry in entries)
            {
                if (entry.Length == 0) continue;
                if (entry[0] == 'D') { deny = true; break; }
                if (entry[0] != '+') continue;
                output.Put("set environment variable "u8);
                output.Put(entry.AsSpan(1));
                output.Put("\n"u8);
            }
            output.Put(deny ? "deny connection\n"u8 : "allow connection\n"u8);
        }
        output.Flush(); // as in djb's: a write error is not reported
        return 0;
    }

    /// <summary>Whether entry is tcprules' "#LINE BLOCK" (digits, a space, the block).</summary>
    static bool Provenance(byte[] entry, out ReadOnlySpan<byte> line, out ReadOnlySpan<byte> block)
    {
        line = block = default;
        if (entry.Length == 0 || entry[0] != '#') return false;
        var rest = entry.AsSpan(1);
        int digits = Numbers.ScanULong(rest, out _);
        if (digits == 0 || rest.Length < digits + 2 || rest[digits] != ' ') return false;
        line = rest.Slice(0, digits);
        block = rest.Slice(digits + 1);
        return true;
    }
}

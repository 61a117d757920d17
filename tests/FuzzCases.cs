// The case generators of DifferentialFuzzTests, one per area: random but valid-looking inputs
// with a share of malformed ones, sized so that the interesting paths (multilog's rotation,
// cdb hash tables, localtime's limits) are reached often.
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using static Toolkit.Tests.FuzzText;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public static class FuzzMultilog
{
    /// <summary>Bytes lines are made of: pattern characters, blanks, a byte above 127, a control.</summary>
    const string LineBytes = "aabbx*: \t\u00ff\u0001";
    const string PatternBytes = "ab*x: ";

    /// <summary>Sizes around the smallest (so that rotation happens often), clamped ones, large ones.</summary>
    static readonly string[] Sizes = ["4096", "4096", "4096", "4097", "5000", "6000", "1", "1", "100000", "16777216"];

    /// <summary>Processors that always succeed (a failing one makes multilog pause and retry).</summary>
    static readonly string[] Processors =
        ["cat", "tr a b", "wc -c", "head -3", "cat; echo end", "cat <&4; cat; echo x >&5"];

    /// <summary>A pattern; with stamps, one whose first '*' does not stop inside the stamp (at
    /// a hex digit, which would make the match depend on the clock): "* " skips the stamp.</summary>
    static string Pattern(Random r, bool stamp)
    {
        var p = r.Text(r.Next(5), PatternBytes);
        bool intoStamp = p.Length > 1 && p[0] == '*' && Uri.IsHexDigit(p[1]);
        return stamp && (intoStamp || r.Next(2) == 0) ? "* " + p : p;
    }

    /// <summary>A script of djb's actions (t first or not, + and - patterns, e, =FILE, sN, nN,
    /// !PROC, ./DIR; N as an ignored element) with small sizes, on input of repeated random
    /// lines large enough to rotate several times.</summary>
    public static FuzzCase Case(Random r)
    {
        var c = new FuzzCase { Normal = MultilogHarness.NormaliseText, Files = MultilogHarness.Snapshot };
        var script = new List<string>();
        bool stamp = r.Next(2) == 0;
        if (stamp) script.Add("t");
        if (r.Next(4) != 0) script.Add("s" + r.Pick(Sizes));
        for (int n = 1 + r.Next(8); n > 0; n--)
            script.Add(r.Next(21) switch
            {
                < 6 => r.Pick("+", "-") + Pattern(r, stamp),
                < 8 => "e",
                < 10 => "=f" + r.Next(2),
                < 12 => "s" + r.Pick(Sizes),
                < 14 => "n" + r.Pick("1", "2", "3", "5", "10"),
                14 => "!" + r.Pick(Processors),
                15 => "N" + r.Next(4),
                _ => "./d" + r.Next(3),
            });
        // A directory named twice makes both fail to lock it: kept in one case of ten.
        var seen = new HashSet<string>();
        for (int i = 0; i < script.Count; i++)
            if (script[i].StartsWith("./") && !seen.Add(script[i]) && r.Next(10) != 0) script[i] = "./u" + i;
        if (!script.Any(s => s.StartsWith("./"))) script.Add("./d0");

        var input = new List<(byte[], int)>();
        int total = 0, limit = r.Pick(3000, 30000, 60000, 60000);
        for (int parts = 1 + r.Next(10); parts > 0 && total < limit; parts--)
        {
            var line = r.Bytes(r.Length(), LineBytes).Append((byte)'\n').ToArray();
            int times = Math.Max(1, Math.Min(1 + r.Next(r.Next(2) == 0 ? 5 : 300), (limit - total) / line.Length));
            input.Add((line, times));
            total += line.Length * times;
        }
        if (r.Next(5) == 0) input.Add((r.Bytes(r.Length(), LineBytes), 1));
        c.Steps.Add(new Step("multilog", script.ToArray(), Stdin: input));
        return c;
    }
}

public static class FuzzCdb
{
    const string Words = "abcdefghijklmnopqrstuvwxyz";

    /// <summary>A rules file of random rules (every form, tcprules' own fuzz generator) with
    /// comments, blank lines, lines without a colon, CRs, trailing blanks and now and then a
    /// malformed line, compiled by both; then lookups by tcprulescheck. In one case of six the
    /// cdb is then damaged (truncated or overwritten) before the lookups.</summary>
    public static FuzzCase RulesCase(Random r)
    {
        var c = new FuzzCase { Files = d => FuzzCase.Listing(d, @"\.tmp$") };
        var rules = new StringBuilder();
        var ips = new List<string> { "1.2.3.4", "127.0.0.1", "0.0.0.0" };
        var hosts = new List<string> { "a.example.com", "x" };
        var infos = new List<string> { "joe" };
        for (int n = r.Next(r.Next(2) == 0 ? 6 : 80); n > 0; n--)
        {
            var rule = TcprulesTests.RandomRule(r);
            Remember(rule, ips, hosts, infos);
            rules.Append(r.Next(40) switch
            {
                0 => "# " + rule,
                1 => "",
                2 => rule.Replace(":", " "),
                3 => (r.Next(5) == 0 ? rule : "# " + rule) + "\r",
                4 => rule + r.Pick(" ", "\t", " \t "),
                5 => rule.Replace("allow", "allow,X=\"a\0b\""),
                7 => rule.Replace("deny", $"deny,LONG=/{r.Text(r.Length(), Words)}/"),
                6 => r.Next(10) == 0 ? Malformed(r) : rule,
                _ => rule,
            }).Append('\n');
        }
        if (r.Next(10) == 0) c.File("rules.cdb", r.Bytes(r.Next(3000), "\0\u0001abc\u00ff"));
        c.Steps.Add(new Step("tcprules", ["rules.cdb", "rules.tmp"], Stdin: [(B(rules.ToString()), 1)]));
        if (r.Next(3) == 0) c.Steps.Add(Damage(r, "rules.cdb"));
        for (int q = 1 + r.Next(4); q > 0; q--)
        {
            var env = new Dictionary<string, string>();
            if (r.Next(10) != 0) env["TCPREMOTEIP"] = r.Next(8) switch
            {
                0 => $"{r.Next(256)}.{r.Next(256)}.{r.Next(256)}.{r.Next(256)}",
                1 => r.Text(r.Next(20), "1.7-="),
                _ => r.Pick(ips.ToArray()),
            };
            if (r.Next(3) != 0) env["TCPREMOTEHOST"] = r.Next(6) switch
            {
                0 => r.Pick("", ".", "..", "a..b", "=", "x.", ".example.com"),
                _ => r.Pick(hosts.ToArray()),
            };
            if (r.Next(3) == 0) env["TCPREMOTEINFO"] = r.Next(6) == 0 ? r.Pick("", "@", "a@b", "=") : r.Pick(infos.ToArray());
            c.Steps.Add(new Step("tcprulescheck", ["rules.cdb"], env));
        }
        return c;
    }

    /// <summary>Rules with CIDR blocks among them (IPv4 ones, which djb's lookup reaches; now and
    /// then an IPv6, a literal or a malformed one), compiled by our tcprules for both (Debian's
    /// stores a block as a key no address matches); then Debian's tcprulescheck and ours on that
    /// cdb, with clients mostly inside the blocks. The line ours names for a block's rule is
    /// normalised to Debian's "rule KEY:".</summary>
    public static FuzzCase RulesCidrCase(Random r)
    {
        var c = new FuzzCase
        {
            Files = d => FuzzCase.Listing(d, @"\.tmp$"),
            Normal = s => Regex.Replace(s, @"(?m)^rule .* \(line \d+, key (.*)\):$", "rule $1:"),
        };
        var rules = new StringBuilder();
        var blocks = new List<(byte[] ip, int bits)>();
        var ips = new List<string> { "1.2.3.4" };
        for (int n = 1 + r.Next(r.Next(2) == 0 ? 6 : 40); n > 0; n--)
        {
            if (r.Next(4) == 0) { rules.Append(TcprulesTests.RandomRule(r)).Append('\n'); continue; }
            int bits = r.Next(33);
            var ip = new byte[4];
            r.NextBytes(ip);
            if (blocks.Count > 0 && r.Next(3) == 0) ip = Inside(r, blocks[r.Next(blocks.Count)]);
            for (int i = bits; i < 32; i++) ip[i / 8] &= (byte)~(0x80 >> (i % 8));
            blocks.Add((ip, bits));
            var address = r.Next(25) switch
            {
                0 => r.Pick("2001:db8::/32", "2001:db8:1:2:3:4:5:6/127", "::ffff:10.0.0.0/104", "fe80::/10"),
                1 => r.Pick("joe@10.0.0.0/8", "=a/b.example", "10.0.0.1/8", "1.2.3.4/33", "2001:db8::/64", "x/y", "1.2.3/24"),
                _ => $"{string.Join('.', ip)}/{bits}",
            };
            rules.Append(address).Append(r.Next(2) == 0 ? ":deny" : $":allow,N=\"{n}\"").Append('\n');
            if (r.Next(3) == 0) rules.Append("# comment\n");
        }
        c.Steps.Add(new Step(Ours("tcprules"), ["rules.cdb", "rules.tmp"], Stdin: [(B(rules.ToString()), 1)]));
        for (int q = 1 + r.Next(6); q > 0; q--)
        {
            var env = new Dictionary<string, string>
            {
                ["TCPREMOTEIP"] = blocks.Count > 0 && r.Next(5) != 0 ? string.Join('.', Inside(r, r.Pick(blocks.ToArray()))) : r.Pick(ips.ToArray()),
            };
            if (r.Next(3) == 0) env["TCPREMOTEHOST"] = r.Pick("a.example.com", "x");
            if (r.Next(4) == 0) env["TCPREMOTEINFO"] = "joe";
            c.Steps.Add(new Step("tcprulescheck", ["rules.cdb"], env));
        }
        return c;
    }

    /// <summary>A random address of the IPv4 block.</summary>
    static byte[] Inside(Random r, (byte[] ip, int bits) block)
    {
        var ip = new byte[4];
        r.NextBytes(ip);
        for (int i = 0; i < block.bits; i++)
        {
            int mask = 0x80 >> (i % 8);
            ip[i / 8] = (byte)((ip[i / 8] & ~mask) | (block.ip[i / 8] & mask));
        }
        return ip;
    }

    /// <summary>A step that truncates the cdb or overwrites a few bytes of it, mostly in the
    /// header and the first records (positions there lead the reader anywhere).</summary>
    static Step Damage(Random r, string cdb) => r.Next(2) == 0
        ? new Step("/usr/bin/truncate", ["-s", r.Next(2100).ToString(), cdb])
        : new Step("/bin/dd", [$"of={cdb}", "bs=1", $"seek={r.Next(2100)}", "conv=notrunc", "status=none"],
            Stdin: [(r.Bytes(1 + r.Next(8), "\0\u0001\u00ff\u007f\u0008"), 1)]);

    /// <summary>The addresses, host names and user names a rule names, completed into what a
    /// client could have (an address prefix gets random last octets).</summary>
    static void Remember(string rule, List<string> ips, List<string> hosts, List<string> infos)
    {
        var address = rule[..rule.IndexOf(':')];
        int at = address.IndexOf('@');
        if (at >= 0) { infos.Add(address[..at]); address = address[(at + 1)..]; }
        if (address.StartsWith('=')) { if (address.Length > 1) hosts.Add(address.TrimStart('=', '.')); }
        else if (address.Length > 0 && !address.Contains('-'))
        {
            var octets = address.TrimEnd('.').Split('.').ToList();
            while (octets.Count < 4) octets.Add("7");
            ips.Add(string.Join('.', octets));
        }
    }

    /// <summary>A line djb's tcprules rejects, with no second colon (so that it is not one for the
    /// IPv6 reading, a documented difference).</summary>
    static string Malformed(Random r) => r.Pick("1.2.3.4:alow", "x:deny,A", "x:allow,A=\"b", "x:", "x:allow,", "x:denyx",
        "1-2-3:allow", "10.x-y.:deny", "a.b-c.d:allow", "x:allow A=b", "x:allow,A=\"b\"x", "x:ALLOW");

    const string KeyBytes = "ab+,:->\n\0\u00ff";

    /// <summary>cdbmake input: records of random keys and data (separators and newlines
    /// included), duplicate keys, and in about half the cases one malformation; then the cdb
    /// read back by cdbdump or cdbget (keys without NUL, which an argument cannot hold, and not
    /// starting with '-', which freecdb's cdbget takes for an option: documented).</summary>
    public static FuzzCase MakeCase(Random r)
    {
        var c = new FuzzCase { Files = d => FuzzCase.Listing(d, @"\.tmp$"), Normal = FreecdbMessages };
        var keys = Enumerable.Range(0, 1 + r.Next(20)).Select(_ => r.Bytes(r.Next(r.Next(3) == 0 ? 40 : 8), KeyBytes)).ToArray();
        var records = new List<byte[]>();
        for (int n = r.Next(r.Next(2) == 0 ? 5 : 400); n > 0; n--)
        {
            var key = r.Next(3) == 0 ? r.Bytes(r.Next(12), KeyBytes) : r.Pick(keys);
            var data = r.Bytes(r.Next(50) == 0 ? r.Length() * 3 : r.Length() % 300, KeyBytes);
            records.Add(B($"+{key.Length},{data.Length}:").Concat(key).Concat(B("->")).Concat(data).Concat(B("\n")).ToArray());
        }
        var end = B("\n");
        if (r.Next(2) == 0)
        {
            if (records.Count > 0 && r.Next(4) != 0)
            {
                int i = r.Next(records.Count);
                records[i] = Break(r, records[i]);
            }
            else end = r.Pick(B(""), B("x"), B("\n+1,1:a->b\n"), B("\r\n"), B("+"));
        }
        if (r.Next(5) == 0) c.File("c.cdb", B("an old cdb"));
        c.Steps.Add(new Step("cdbmake", ["c.cdb", "c.tmp"], Stdin: [(records.SelectMany(b => b).Concat(end).ToArray(), 1)]));
        // Then the cdb read back: dumped whole, or (damaged in one case of two) looked up.
        if (r.Next(2) == 0) c.Steps.Add(new Step("cdbdump", [], From: "c.cdb"));
        else
        {
            if (r.Next(2) == 0) c.Steps.Add(Damage(r, "c.cdb"));
            for (int q = 1 + r.Next(3); q > 0; q--)
            {
                var key = Encoding.Latin1.GetString(r.Next(4) == 0 ? r.Bytes(r.Next(6), KeyBytes) : r.Pick(keys)).Replace("\0", "");
                if (key.Length > 0 && key[0] != '-') c.Steps.Add(new Step("cdbget", [key, .. r.Next(4) == 0 ? [r.Next(4).ToString()] : Array.Empty<string>()], From: "c.cdb"));
            }
        }
        return c;
    }

    /// <summary>One record made wrong: a length off by one, too large, empty, signed, spaced or
    /// not a number; a separator missing or changed; the newline missing or doubled.</summary>
    static byte[] Break(Random r, byte[] record)
    {
        var s = Encoding.Latin1.GetString(record);
        var m = Regex.Match(s, @"^\+(\d+),(\d+):");
        int klen = int.Parse(m.Groups[1].Value), dlen = int.Parse(m.Groups[2].Value);
        string rest = s[m.Length..];
        string Head(string k, string d) => $"+{k},{d}:";
        return B(r.Next(12) switch
        {
            0 => Head((klen + 1).ToString(), dlen.ToString()) + rest,
            1 => Head(Math.Max(0, klen - 1).ToString(), dlen.ToString()) + rest,
            2 => Head(klen.ToString(), (dlen + 1).ToString()) + rest,
            3 => Head(klen.ToString(), r.Pick("", "-1", " 1", "1 ", "x", "99999999999", "4294967296", "0x1")) + rest,
            4 => Head(r.Pick("", "+1", "a", "4294967295", "00"), dlen.ToString()) + rest,
            5 => "-" + s[1..],
            6 => s.Replace(":", ";"),
            7 => $"+{klen},{dlen}:" + rest.Replace("->", "-"),
            8 => s[..^1],
            9 => s + "\n",
            10 => $"+{klen}:{dlen}," + rest,
            _ => s[..(s.Length / 2)],
        });
    }

    /// <summary>Debian's freecdb cdbmake says what is wrong with the input (`entry N: ...`) where
    /// djb's (and ours) say `bad format`: a documented difference.</summary>
    static string FreecdbMessages(string s) =>
        Regex.Replace(s, "unable to read input: entry \\d+: [^\n]*", "unable to read input: bad format");
}

public static class FuzzChainload
{
    static readonly string[] Zones =
        ["UTC", "Europe/Moscow", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Europe/Dublin",
         "EST5EDT", "Foo/Bar", ":/etc/localtime", "UTC+3", ""];

    /// <summary>Seconds since 1970 from about year 2147481000 to 2147485700: localtime's last
    /// years (its tm_year is an int; `last` is two days before the end of year 2147485547 in UTC, within reach of every zone) and beyond.</summary>
    static readonly (long from, long last, long to) YearsNear2To31 = (67767892670716560L, 67768036191503999L, 67768040988390960L);

    /// <summary>Lines with TAI64N stamps and plain lines, under random time zones. Most cases
    /// have stamps localtime can convert (from 1970 or before, years near 2^31, nanoseconds
    /// over 999999999); one in three also has stamps of any 96 bits, any length, capitals and
    /// other letters that end a stamp, on which Debian's crashes.</summary>
    public static FuzzCase Tai64nlocalCase(Random r)
    {
        var c = new FuzzCase { Shared = true, Normal = TrueYears, Expected = LineByLineWhereDebianCrashes };
        bool wild = r.Next(3) == 0;
        var input = new StringBuilder();
        for (int n = r.Next(12); n > 0; n--)
        {
            if (r.Next(5) == 0) input.Append(r.Text(r.Next(20), wild ? "abc @x9\t" : "abc x9\t"));
            else
            {
                ulong tai = (1UL << 62) + 10;
                input.Append('@').Append(r.Next(wild ? 10 : 4) switch
                {
                    0 => $"{tai + (ulong)r.NextInt64(0, 1L << 33):x16}{r.Next():x8}",
                    1 => $"{tai + (ulong)r.NextInt64(-(1L << 40), 1L << 40):x16}{(uint)r.Next() * 2:x8}",
                    2 => $"{tai + (ulong)r.NextInt64(-(1L << 50), 1L << 50):x16}{r.Next(1000000000):x8}",
                    3 => $"{tai + (ulong)r.NextInt64(YearsNear2To31.from, wild ? YearsNear2To31.to : YearsNear2To31.last):x16}{r.Next(1000000000):x8}",
                    4 => $"{(ulong)r.NextInt64():x16}{(uint)r.Next():x8}",
                    5 => r.Text(r.Next(30), "0123456789abcdef"),
                    6 => $"{tai + (ulong)r.NextInt64(0, 1L << 33):x16}".ToUpperInvariant() + "0000000",
                    _ => r.Text(r.Next(26), "0123456789abcdefgA"),
                });
                input.Append(r.Text(r.Next(6), " x@\t"));
            }
            if (n > 1 || r.Next(4) != 0) input.Append('\n');
        }
        var env = new Dictionary<string, string>();
        var zone = r.Pick(Zones);
        if (zone != "") env["TZ"] = zone;
        c.Steps.Add(new Step("tai64nlocal", [], env, [(B(input.ToString()), 1)]));
        return c;
    }

    /// <summary>A year past 2^31 - 1 wraps in djb's (1900 + tm_year in an int) and prints as a
    /// 20-digit number; ours prints the true year: a documented difference.</summary>
    static string TrueYears(string s) => Regex.Replace(s, @"(?m)^(\d{20})-", m =>
        ((long)ulong.Parse(m.Groups[1].Value) + (1L << 32)).ToString() + "-");

    /// <summary>Debian's tai64nlocal crashes on a stamp localtime cannot convert, where ours
    /// copies the line through (a documented difference): then what ours must print is Debian's
    /// output line by line, a line that crashes it copied as it is.</summary>
    static string LineByLineWhereDebianCrashes(Step step, Result theirs, string dir)
    {
        const int SegvExit = 128 + 11;
        if (theirs.Exit != SegvExit) return TrueYears(theirs.ToString());
        var output = new List<byte>();
        var input = step.Input();
        for (int start = 0; start < input.Length;)
        {
            int end = Array.IndexOf(input, (byte)'\n', start);
            end = end < 0 ? input.Length : end + 1;
            var line = input[start..end];
            var one = FuzzCase.Play(step with { Stdin = [(line, 1)] }, Theirs("tai64nlocal"), dir);
            output.AddRange(one.Exit == SegvExit ? line : one.OutBytes);
            start = end;
        }
        return TrueYears(new Result(0, Encoding.Latin1.GetString(output.ToArray()), "", output.ToArray()).ToString());
    }

    const string NameBytes = "ABC_ab.=-1 \u00e9";
    const string ValueBytes = "ab =\t\n\0\u00ff";

    /// <summary>An envdir directory of random entries: files with values of every shape (empty,
    /// blanks to strip, NULs, several lines), names starting with a dot, a base variable
    /// overridden or removed, PATH set, a subdirectory, dangling, looping and good symlinks;
    /// `envdir e env` by both.</summary>
    public static FuzzCase EnvdirCase(Random r)
    {
        var c = new FuzzCase { Shared = true };
        c.Dir("e");
        var names = new HashSet<string>();
        for (int n = r.Next(9); n > 0; n--)
        {
            var name = r.Next(4) == 0 ? r.Pick("A", "B", "C", "PATH", ".hidden", "..x") : r.Text(1 + r.Next(5), NameBytes);
            if (name is "." or ".." || !names.Add(name)) continue;
            var path = "e/" + name;
            switch (r.Next(20))
            {
                case 0: c.Dir(path); break;
                case 1: c.Link(path, "nowhere"); break;
                case 2: c.Link(path, name); break;
                case 3: c.Link(path, "../v"); c.File("v", r.Bytes(r.Next(10), ValueBytes)); break;
                case 4: c.File(path, name == "PATH" ? B("/nonexistent") : []); break;
                default: c.File(path, r.Bytes(r.Next(3) == 0 ? r.Length() : r.Next(12), ValueBytes)); break;
            }
        }
        var args = r.Next(30) switch
        {
            0 => new[] { "missing", "env" },
            1 => new[] { "e" },
            2 => new[] { "e", "nonexistent-program" },
            _ => new[] { "e", "env" },
        };
        c.Steps.Add(new Step("envdir", args, new() { ["A"] = "1", ["B"] = "two words", ["C"] = "" }));
        return c;
    }

    /// <summary>Service directories in every state svstat can find: no supervise directory,
    /// supervise/ok a plain file, a fifo without reader (supervise not running), a directory or
    /// missing; the status missing, short, long or random; stamps in the past (near or far),
    /// the future, anywhere; pids, paused and want bytes of any value; a down file or not.</summary>
    public static FuzzCase SvstatCase(Random r)
    {
        var c = new FuzzCase { Shared = true, Clocked = true };
        int services = 1 + r.Next(4);
        ulong now = Tai64.Epoch + (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        for (int i = 0; i < services; i++)
        {
            var s = $"s{i}";
            c.Dir(s);
            if (r.Next(3) == 0) c.File(s + "/down", []);
            if (r.Next(12) == 0) continue;
            c.Dir(s + "/supervise");
            switch (r.Next(12))
            {
                case 0: c.Fifo(s + "/supervise/ok"); break;
                case 1: c.Dir(s + "/supervise/ok"); break;
                case 2: break;
                default: c.File(s + "/supervise/ok", []); break;
            }
            if (r.Next(12) == 0) continue;
            var status = new byte[ServiceStatus.Size];
            new ServiceStatus
            {
                Seconds = r.Next(6) switch
                {
                    0 => (ulong)r.NextInt64(),
                    1 => now + (ulong)r.Next(1000),
                    2 => (ulong)r.NextInt64(0, 1L << 62),
                    3 => r.Pick(0UL, 1UL << 62, ulong.MaxValue, now - (1UL << 53)),
                    _ => now - (ulong)r.Next(100000),
                },
                Nanoseconds = (uint)r.Next(),
                Pid = r.Next(3) == 0 ? 0 : (uint)r.NextInt64(0, 1L << 32),
                Paused = r.Pick<byte>(0, 1, 255),
                Want = r.Pick((byte)'u', (byte)'d', (byte)0, (byte)'x'),
            }.Pack(status);
            c.File(s + "/supervise/status", r.Next(8) switch
            {
                0 => status[..r.Next(ServiceStatus.Size)],
                1 => [.. status, .. r.Bytes(1 + r.Next(10), "ab\0")],
                2 => r.Bytes(ServiceStatus.Size, "\0\u0001\u00ffud"),
                _ => status,
            });
        }
        var args = Enumerable.Range(0, 1 + r.Next(5)).Select(_ => r.Next(8) == 0 ? "missing" : $"s{r.Next(services)}").ToArray();
        c.Steps.Add(new Step("svstat", args));
        return c;
    }
}

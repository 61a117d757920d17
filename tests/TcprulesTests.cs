// tcprules and tcprulescheck against Debian's ucspi-tcp: byte-identical cdbs, identical
// errors, the eight-step lookup order, IPv6 rules, and a fuzz test of the rules parser.
#pragma warning disable CA1416 // Linux only
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public class TcprulesTests
{
    static byte[] B(string s) => Encoding.Latin1.GetBytes(s);

    /// <summary>Runs tcprules (ours or Debian's) in dir on the rules text; the result and the cdb bytes (null if none).</summary>
    internal static (Result result, byte[] cdb) Compile(string exe, string dir, byte[] rules, string cdb = "rules.cdb",
        int timeoutMs = 20000)
    {
        var r = Run(exe, new[] { cdb, cdb + ".tmp" }, cwd: dir, stdinBytes: rules, timeoutMs: timeoutMs);
        var path = Path.Combine(dir, cdb);
        return (r, File.Exists(path) ? File.ReadAllBytes(path) : null);
    }

    static void SameCdb(string rules) => SameCdb(B(rules));

    static void SameCdb(byte[] rules)
    {
        using var d = new TempDir();
        var (theirs, theirCdb) = Compile(Theirs("tcprules"), d.Path, rules, "theirs.cdb");
        var (ours, ourCdb) = Compile(Ours("tcprules"), d.Path, rules, "ours.cdb");
        Assert.Equal(theirs.ToString(), ours.ToString());
        Assert.True(ours.Exit == 0, ours.ToString());
        Assert.Equal(theirCdb, ourCdb);
    }

    public static readonly string Seeds =
        "127.:allow,RELAYCLIENT=\"\"\n192.168.1.2:deny\n=www.example.com:allow,RELAYCLIENT=\"\"\n=:allow\n:deny\n";

    public static readonly string EveryForm = string.Join("\n", new[]
    {
        "# a comment", "", "1.2.3.4:deny", "1.2.3.:allow", "=host.example.com:deny", "=.example.com:allow",
        "=:allow", ":deny", "joe@1.2.3.4:allow", "joe@=host.example.com:deny", "@:allow",
        "1.2.3.37-53:allow,RANGE=\"yes\"", "10.2-3.:deny", "10.250-300.1:allow", "1.2.3.9-3:allow",
        "1.2-3:allow", "1.2.3-:allow", "7-:deny", "=a-b.example:allow", "x@1.2-3.4:allow",
        "no colon here", "   indented without colon", "  # not a comment but no colon",
        "1.2.3.4:allow", "1.2.3.4:deny,A=\"dup\"",
        "q:allow,A=\"double\",B='single',C=/slash/,D=|bar|,E=xvaluex,F=::,G=\"\"",
        "s:allow,SPACE=\"a value with spaces\",EQ=\"a=b=c\",NAME==x=,MIXED=' \"=\" '",
        "t:deny,A=\"x\" \t ", "UPPER.CASE:allow", "tab\there:allow", "x:allow,A=\"colon:inside\"",
        "x:deny,,=\"\"", "",
    }) + "\n";

    [Fact] public void SeedRules() => SameCdb(Seeds);
    [Fact] public void EveryFormOfRule() => SameCdb(EveryForm);
    [Fact] public void LastLineWithoutNewline() => SameCdb("1.2.3.4:deny\n5.6.7.8:allow,X=\"y\"");
    [Fact] public void RangeBoundEndingInNul() => SameCdb("1.2.3.-5\0:deny\n1.2-3\0x.4:allow\n");
    [Fact] public void EmptyInput() => SameCdb("");
    [Fact] public void OnlyComments() => SameCdb("# one\n#two:deny\n\n\n");
    [Fact] public void CrlfCommentsAndLinesWithoutColon() => SameCdb("# comment\r\nno colon\r\n1.2.3.4:deny\n\r\n");
    [Fact] public void DuplicateKeys() =>
        SameCdb(string.Concat(Enumerable.Range(0, 300).Select(i => $"{(i % 3 == 0 ? "same" : "1.2." + i % 7 + ".")}:allow,N=\"{i}\"\n")));

    [Fact]
    public void ThousandsOfRandomRules()
    {
        var random = new Random(20261122);
        var text = new StringBuilder();
        for (int i = 0; i < 5000; i++) text.Append(RandomRule(random)).Append('\n');
        SameCdb(text.ToString());
    }

    internal static string RandomRule(Random r)
    {
        string Octet() => r.Next(256).ToString();
        string address = r.Next(9) switch
        {
            0 => $"{Octet()}.{Octet()}.{Octet()}.{Octet()}",
            1 => $"{Octet()}.{Octet()}.",
            2 => $"={Word(r)}.example.com",
            3 => $"=.{Word(r)}.org",
            4 => "=",
            5 => "",
            6 => $"{Word(r)}@{Octet()}.{Octet()}.{Octet()}.{Octet()}",
            7 => $"{Octet()}.{Octet()}.{r.Next(300)}-{r.Next(300)}",
            _ => $"{Word(r)}@={Word(r)}.net",
        };
        var rule = new StringBuilder(address).Append(r.Next(2) == 0 ? ":allow" : ":deny");
        for (int n = r.Next(4); n > 0; n--)
        {
            char q = "\"'/|#%x"[r.Next(7)];
            rule.Append(',').Append(Word(r).ToUpperInvariant()).Append('=').Append(q)
                .Append(Word(r).Replace(q, '_')).Append(r.Next(3) == 0 ? " =v" : "").Append(q);
        }
        return rule.ToString();
    }

    static string Word(Random r) => new string(Enumerable.Range(0, 1 + r.Next(8)).Select(_ => (char)('a' + r.Next(26))).ToArray());

    // Errors: djb's text and exit code, and the existing cdb left byte for byte as it was.
    [Theory]
    [InlineData("1.2.3.4:denyx\n")]
    [InlineData("1.2.3.4: deny\n")]
    [InlineData("1.2.3.4:allow A=b\n")]
    [InlineData("1.2.3.4:allow,\n")]
    [InlineData("1.2.3.4:allow,A\n")]
    [InlineData("1.2.3.4:allow,A=\n")]
    [InlineData("1.2.3.4:allow,A=\"b\n")]
    [InlineData("1.2.3.4:allow,A=\"b\"x\n")]
    [InlineData("1.2.3.4:allow,A=\"b\",\n")]
    [InlineData("1.2.3.4:allow\r\n")]
    [InlineData("x:allow,A=\"1\"\r\n")]
    [InlineData("1.2.3.4:ALLOW\n")]
    [InlineData("1.2.3.4:\n")]
    [InlineData("good:allow\nbad:maybe\ngood2:deny\n")]
    [InlineData("1.2.3.4:allow,A=x\0y\n")]
    [InlineData("1.2.3.4:allow,A=\"b\"\0:deny\n")]
    [InlineData("x:allow,A=\"last line without newline")]
    [InlineData("1-2-3:allow\n")]
    [InlineData("x:denyallow\n")]
    [InlineData("a.b-c.d:allow\n")]
    [InlineData("10.x-y.:deny\n")]
    [InlineData("1.2.3.4 -5:deny\n")]
    public void ParseErrorLeavesCdbUntouched(string rules)
    {
        using var d = new TempDir();
        var old = B("+ an old cdb that must survive +");
        var results = new List<string>();
        foreach (var exe in new[] { Theirs("tcprules"), Ours("tcprules") })
        {
            File.WriteAllBytes(d["rules.cdb"], old);
            var (r, cdb) = Compile(exe, d.Path, B(rules));
            Assert.Equal(100, r.Exit);
            Assert.Equal(old, cdb);
            results.Add(r.ToString());
        }
        Assert.Equal(results[0], results[1]);
        Assert.StartsWith("tcprules: fatal: unable to parse this line: ", results[1].Split("--- stderr\n")[1]);
    }

    /// <summary>A rules file of size 0 (empty, /dev/null, a fifo): Debian's build of ucspi-tcp's
    /// cdb keeps the failed mapping and reports the EINVAL of unmapping it, in tcprulescheck
    /// and in tcpserver alike.</summary>
    [Fact]
    public void EmptyRulesFileIsAnInvalidArgument()
    {
        using var d = new TempDir();
        File.WriteAllBytes(d["empty.cdb"], []);
        Assert.Equal(0, Run("mkfifo", [d["fifo.cdb"]]).Exit);
        foreach (var rules in new[] { "empty.cdb", "/dev/null", "fifo.cdb" })
        {
            var theirs = Run(Theirs("tcprulescheck"), [rules], cwd: d.Path);
            Assert.Equal($"tcprulescheck: fatal: unable to read {rules}: invalid argument\n", theirs.Err);
            Assert.Equal(theirs.ToString(), Run(Ours("tcprulescheck"), [rules], cwd: d.Path).ToString());
        }
        string Dropped(string tcpserver)
        {
            using var s = new Server(tcpserver, $"-R -H -l0 -x {d["empty.cdb"]}", "echo hi");
            Assert.Equal("", Run(Theirs("tcpclient"), ["-RHl0", "127.0.0.1", s.Port.ToString(), "sh", "-c", "cat <&6"]).Out);
            Assert.True(s.WaitLog("dropping"), s.Log);
            return System.Text.RegularExpressions.Regex.Match(s.Log, "dropping connection, [^\n]*").Value;
        }
        Assert.Equal("dropping connection, unable to read " + d["empty.cdb"] + ": invalid argument", Dropped(Theirs("tcpserver")));
        Assert.Equal(Dropped(Theirs("tcpserver")), Dropped(Ours("tcpserver")));
    }

    [Fact]
    public void Usage()
    {
        foreach (var args in new[] { new string[0], new[] { "only.cdb" } })
        {
            var theirs = Run(Theirs("tcprules"), args, stdin: "");
            var ours = Run(Ours("tcprules"), args, stdin: "");
            Assert.Equal(theirs.ToString(), ours.ToString());
            Assert.Equal(100, ours.Exit);
        }
    }

    /// <summary>Runs both in dir with the given arguments; asserts identical results and an untouched old cdb.</summary>
    static Result SameFailure(string dir, string[] args, string cdb, string prefix = null)
    {
        var old = B("old cdb");
        var results = new List<Result>();
        foreach (var exe in new[] { Theirs("tcprules"), Ours("tcprules") })
        {
            if (Directory.Exists(Path.GetDirectoryName(cdb)) && !Directory.Exists(cdb)) File.WriteAllBytes(cdb, old);
            var r = prefix == null
                ? Run(exe, args, cwd: dir, stdin: Seeds)
                : Run(prefix, new[] { "nobody", exe }.Concat(args), cwd: dir, stdin: Seeds);
            results.Add(r);
            if (File.Exists(cdb)) Assert.Equal(old, File.ReadAllBytes(cdb));
        }
        Assert.Equal(results[0].ToString(), results[1].ToString());
        Assert.Equal(111, results[1].Exit);
        return results[1];
    }

    [Fact]
    public void TmpCannotBeCreated()
    {
        using var d = new TempDir();
        var r = SameFailure(d.Path, new[] { "rules.cdb", "missing/rules.tmp" }, d["rules.cdb"]);
        Assert.Equal("tcprules: fatal: unable to create missing/rules.tmp: file does not exist\n", r.Err);
    }

    [Fact]
    public void TmpCannotBeWritten()
    {
        using var d = new TempDir();
        var r = SameFailure(d.Path, new[] { "rules.cdb", "/dev/full" }, d["rules.cdb"]);
        Assert.Equal("tcprules: fatal: unable to write to /dev/full: out of disk space\n", r.Err);
    }

    [Fact]
    public void DirectoryNotWritable()
    {
        using var d = new TempDir();
        Directory.CreateDirectory(d["ro"]);
        File.WriteAllBytes(d["ro/rules.cdb"], B("old cdb"));
        File.SetUnixFileMode(d["ro"], UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
            UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        // root ignores permissions: run both as nobody then
        string prefix = Environment.UserName == "root" ? Theirs("setuidgid") : null;
        var r = SameFailure(d.Path, new[] { "ro/rules.cdb", "ro/rules.tmp" }, d["ro/rules.cdb"], prefix);
        Assert.Equal("tcprules: fatal: unable to create ro/rules.tmp: access denied\n", r.Err);
    }

    [Fact]
    public void RenameFails()
    {
        using var d = new TempDir();
        Directory.CreateDirectory(d["rules.cdb/occupied"]);
        var r = SameFailure(d.Path, new[] { "rules.cdb", "rules.tmp" }, d["rules.cdb"]);
        Assert.Equal("tcprules: fatal: unable to move rules.tmp to rules.cdb: is a directory\n", r.Err);
    }

    [Fact]
    public void ReplacesTheOldCdbWithTheSameModeAsDebian()
    {
        using var d = new TempDir();
        var modes = new List<UnixFileMode>();
        foreach (var exe in new[] { Theirs("tcprules"), Ours("tcprules") })
        {
            File.WriteAllBytes(d["rules.cdb"], B("old"));
            File.SetUnixFileMode(d["rules.cdb"], UnixFileMode.UserRead);
            var (r, cdb) = Compile(exe, d.Path, B("1.2.3.4:deny\n"));
            Assert.Equal(0, r.Exit);
            Assert.Equal(2081, cdb.Length);
            Assert.False(File.Exists(d["rules.cdb.tmp"]));
            modes.Add(File.GetUnixFileMode(d["rules.cdb"]));
        }
        Assert.Equal(modes[0], modes[1]);
    }

    // tcprulescheck: every lookup step, both programs on both cdbs.
    static readonly string[] Steps =
    {
        "joe@10.1.2.3:allow,STEP=\"1 info@ip\"",
        "joe@=mail.example.com:allow,STEP=\"2 info@=host\"",
        "10.1.2.3:allow,STEP=\"3 ip\"",
        "=mail.example.com:allow,STEP=\"4 =host\"",
        "10.1.2.:deny,STEP=\"5a prefix\"", "10.1.:allow,STEP=\"5b prefix\"", "10.:allow,STEP=\"5c prefix\"",
        "=.example.com:allow,STEP=\"6a suffix\"", "=.com:deny", "=:allow,STEP=\"7 any host\",X=\"y\"",
        ":deny,STEP=\"8 empty\"",
    };

    static readonly (string ip, string host, string info)[] Connections =
    {
        ("10.1.2.3", "mail.example.com", "joe"), ("10.1.2.3", "mail.example.com", null), ("10.1.2.3", null, "joe"),
        ("10.1.2.3", null, null), ("10.1.2.4", "mail.example.com", "ann"), ("10.1.9.9", "www.example.com", null),
        ("10.9.9.9", "a.b.example.com", "joe"), ("192.0.2.1", "host.example.com", null), ("192.0.2.1", "x.com", null),
        ("192.0.2.1", "localhost", null), ("192.0.2.1", "", null), ("192.0.2.1", null, ""), (null, null, null),
        ("10.1.2.3", "MAIL.EXAMPLE.COM", "JOE"),
    };

    internal static Dictionary<string, string> Env(string ip, string host, string info) => new()
    {
        ["TCPREMOTEIP"] = ip, ["TCPREMOTEHOST"] = host, ["TCPREMOTEINFO"] = info,
    };

    [Fact]
    public void LookupOrderMatrix()
    {
        using var d = new TempDir();
        int checks = 0;
        for (int first = 0; first <= Steps.Length; first++)
        {
            var rules = B(string.Join("\n", Steps.Skip(first)) + "\n");
            var (_, theirCdb) = Compile(Theirs("tcprules"), d.Path, rules, "theirs.cdb");
            var (_, ourCdb) = Compile(Ours("tcprules"), d.Path, rules, "ours.cdb");
            Assert.Equal(theirCdb, ourCdb);
            foreach (var (ip, host, info) in Connections)
            foreach (var cdb in new[] { "theirs.cdb", "ours.cdb" })
            {
                var env = Env(ip, host, info);
                var theirs = Run(Theirs("tcprulescheck"), new[] { cdb }, cwd: d.Path, env: env);
                var ours = Run(Ours("tcprulescheck"), new[] { cdb }, cwd: d.Path, env: env);
                Assert.Equal(theirs.ToString(), ours.ToString());
                checks++;
            }
        }
        Assert.Equal((Steps.Length + 1) * Connections.Length * 2, checks);
    }

    [Fact]
    public void RuleDataEdgeCases()
    {
        using var d = new TempDir();
        // entries without NUL, unknown entries, D after settings, + without =
        var image = CdbTests.Build(new[] { ("1.1.1.1", "+A=1\0D\0+B=2\0"), ("2.2.2.2", "x\0+NOEQ\0\0+C=3\0tail"), ("", "D") });
        File.WriteAllBytes(d["r.cdb"], image);
        foreach (var ip in new[] { "1.1.1.1", "2.2.2.2", "3.3.3.3" })
        {
            var env = Env(ip, null, null);
            Assert.Equal(Run(Theirs("tcprulescheck"), new[] { "r.cdb" }, cwd: d.Path, env: env).ToString(),
                Run(Ours("tcprulescheck"), new[] { "r.cdb" }, cwd: d.Path, env: env).ToString());
        }
        var rule = new Rule { Key = B("k"), Data = B("+A=1\0D\0+B=2\0+NOEQ\0tail") };
        Assert.True(rule.Denies);
        Assert.Equal(new[] { "A=1", "B=2" }, rule.Variables().Select(v => Encoding.Latin1.GetString(v.Name) + "=" + Encoding.Latin1.GetString(v.Value)));
    }

    [Fact]
    public void TcprulescheckErrors()
    {
        using var d = new TempDir();
        File.WriteAllBytes(d["short.cdb"], new byte[100]);
        foreach (var args in new[] { new string[0], new[] { "missing.cdb" }, new[] { "short.cdb" } })
        {
            var theirs = Run(Theirs("tcprulescheck"), args, cwd: d.Path);
            var ours = Run(Ours("tcprulescheck"), args, cwd: d.Path);
            Assert.Equal(theirs.ToString(), ours.ToString());
        }
        File.WriteAllBytes(d["r.cdb"], CdbTests.Build(new[] { ("1.2.3.4", "D\0") }));
        Assert.Equal(Sh($"{Theirs("tcprulescheck")} r.cdb > /dev/full", d.Path, Env("1.2.3.4", null, null)).ToString(),
            Sh($"{Ours("tcprulescheck")} r.cdb > /dev/full", d.Path, Env("1.2.3.4", null, null)).ToString());
    }

    [Fact]
    public void DirectoryInsteadOfFile()
    {
        using var d = new TempDir();
        var ours = Run(Ours("tcprulescheck"), new[] { "." }, cwd: d.Path);
        Assert.Equal((111, "tcprulescheck: fatal: unable to read .: is a directory\n"), (ours.Exit, ours.Err));
        var theirs = Sh($"{Theirs("tcprules")} r.cdb r.tmp < .", d.Path);
        Assert.Equal(theirs.ToString(), Sh($"{Ours("tcprules")} r.cdb r.tmp < .", d.Path).ToString());
        Assert.Equal("tcprules: fatal: unable to read input: is a directory\n", theirs.Err);
    }

    // IPv6: accepted where djb's reading would not parse; IPv4 bytes unchanged.
    [Fact]
    public void IPv6Rules()
    {
        using var d = new TempDir();
        var rules = "::1:allow,V6=\"loopback\"\nfe80::1:deny\n2001:db8::1:allow,A=\"x:deny\"\n2001:db8:::allow,P=\"prefix\"\n" +
                    "1.2.3.4:deny\n";
        var (r, cdb) = Compile(Ours("tcprules"), d.Path, B(rules));
        Assert.Equal("", r.Err);
        var dump = Run(Ours("cdbdump"), new string[0], stdinBytes: cdb).Out;
        Assert.Equal("+3,13:::1->+V6=loopback\0\n+7,2:fe80::1->D\0\n+11,10:2001:db8::1->+A=x:deny\0\n" +
                     "+10,10:2001:db8::->+P=prefix\0\n+7,2:1.2.3.4->D\0\n\n", dump);
        File.WriteAllBytes(d["r.cdb"], cdb);
        foreach (var (ip, expect) in new[] { ("::1", "rule ::1:\nset environment variable V6=loopback\nallow connection\n"),
                     ("fe80::1", "rule fe80::1:\ndeny connection\n"), ("2001:db8::1", "rule 2001:db8::1:\nset environment variable A=x:deny\nallow connection\n"),
                     ("2001:db8::2", "rule 2001:db8:::\nset environment variable P=prefix\nallow connection\n"), ("2002::1", "default:\nallow connection\n") })
            Assert.Equal(expect, Run(Ours("tcprulescheck"), new[] { "r.cdb" }, cwd: d.Path, env: Env(ip, null, null)).Out);
    }

    [Theory]
    [InlineData("foo\n")]
    [InlineData("foo:bar\n")]
    [InlineData("::1:maybe\n")]
    [InlineData("a:b:c:d:e:f\nx")]
    public void NeverHangsWhereTheIPv6BuildDoes(string rules)
    {
        using var d = new TempDir();
        var (theirs, _) = Compile(Theirs("tcprules"), d.Path, B(rules), "theirs.cdb");
        var (ours, _) = Compile(Ours("tcprules"), d.Path, B(rules), "ours.cdb");
        Assert.Equal(theirs.ToString(), ours.ToString());
    }

    /// <summary>Random rules text: ours never hangs, and agrees with Debian's wherever djb's reading applies
    /// and no line has a CIDR block.</summary>
    [Fact]
    public void FuzzRulesText()
    {
        int seed = Environment.TickCount;
        foreach (var s in new[] { 4242, seed })
        {
            var random = new Random(s);
            using var d = new TempDir();
            var deadline = DateTime.UtcNow.AddSeconds(25);
            for (int i = 0; i < 150 && DateTime.UtcNow < deadline; i++)
            {
                var text = FuzzText(random);
                string where = $"seed {s} case {i}: {Convert.ToBase64String(text)}";
                var (theirs, theirCdb) = Compile(Theirs("tcprules"), d.Path, text, "theirs.cdb");
                Result ours;
                byte[] ourCdb;
                try { (ours, ourCdb) = Compile(Ours("tcprules"), d.Path, text, "ours.cdb", timeoutMs: 10000); }
                catch (TimeoutException) { Assert.Fail($"tcprules hangs: {where}"); throw; }
                if (HasBlock(text))
                    Assert.True(ours.Exit == 0 || ours.Exit == 100, where);
                else if (theirs.Exit == 0)
                {
                    Assert.True(ours.ToString() == theirs.ToString(), where);
                    Assert.True(theirCdb.AsSpan().SequenceEqual(ourCdb), where);
                }
                else if (!IPv6Parsable(text))
                    Assert.True(ours.ToString() == theirs.ToString(), where);
                else
                    Assert.True(ours.Exit == 0 || ours.Exit == 100, where);
                File.Delete(d["theirs.cdb"]);
                File.Delete(d["ours.cdb"]);
            }
        }
    }

    /// <summary>Whether some line could take the IPv6 reading: a ":allow" or ":deny" after its first ":".</summary>
    static bool IPv6Parsable(byte[] text) => Encoding.Latin1.GetString(text).Split('\n').Any(line =>
    {
        int colon = line.IndexOf(':');
        return colon >= 0 && (line.IndexOf(":allow", colon + 1, StringComparison.Ordinal) > 0 ||
                              line.IndexOf(":deny", colon + 1, StringComparison.Ordinal) > 0);
    });

    /// <summary>Whether some line may have a CIDR block (ours compiles, djb's stores as it is):
    /// a "/" before its first ":" or before a ":allow" or ":deny".</summary>
    static bool HasBlock(byte[] text) => Encoding.Latin1.GetString(text).Split('\n').Any(line =>
    {
        int slash = line.IndexOf('/');
        return !line.StartsWith('#') && slash >= 0 && (slash < line.IndexOf(':') ||
            line.IndexOf(":allow", slash, StringComparison.Ordinal) > 0 || line.IndexOf(":deny", slash, StringComparison.Ordinal) > 0);
    });

    static readonly string[] Pieces =
    {
        ":", ":", ",", "=", "\"", "'", "/", "allow", "deny", "-", ".", "@", "#", " ", "\t", "\r", "\n", "\n", "\n",
        "\0", "1", "25", "300", "a", "X", "=", "::", ":allow", ":deny", ",A=\"v\"", "1.2.3.", "\xff",
    };

    static byte[] FuzzText(Random r)
    {
        var text = new StringBuilder();
        int lines = 1 + r.Next(12);
        for (int l = 0; l < lines; l++)
        {
            if (r.Next(3) == 0) text.Append(RandomRule(r));
            else for (int n = r.Next(12); n > 0; n--) text.Append(Pieces[r.Next(Pieces.Length)]);
            if (r.Next(8) != 0) text.Append('\n');
        }
        return B(text.ToString());
    }
}

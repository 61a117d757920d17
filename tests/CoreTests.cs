// Unit tests of the shared primitives in core/ (compiled into this test assembly).
using System.Linq;
using System.Text;
using Xunit;

namespace Toolkit.Tests;

public class CoreTests
{
    static byte[][] Argv(params string[] a) => a.Select(Encoding.Latin1.GetBytes).ToArray();

    static string Parse(string opts, params string[] args)
    {
        var g = new Getopt(Argv(args), opts);
        var sb = new StringBuilder();
        int c;
        while ((c = g.Next()) != Getopt.Done)
        {
            sb.Append((char)c);
            if (g.Arg != null) sb.Append('=').Append(Encoding.Latin1.GetString(g.Arg));
            sb.Append(' ');
        }
        return sb.Append("| ").Append(g.Index).ToString();
    }

    [Theory]
    [InlineData("ab:", new[] { "p", "-a", "-b", "x", "rest" }, "a b=x | 4")]
    [InlineData("ab:", new[] { "p", "-ab", "x" }, "a b=x | 3")]
    [InlineData("ab:", new[] { "p", "-abx", "y" }, "a b=x | 2")]
    [InlineData("ab:", new[] { "p", "--", "-a" }, "| 2")]
    [InlineData("ab:", new[] { "p", "--anything", "-a" }, "| 2")]
    [InlineData("ab:", new[] { "p", "-", "-a" }, "| 1")]
    [InlineData("ab:", new[] { "p", "x", "-a" }, "| 1")]
    [InlineData("ab:", new[] { "p", "" }, "| 1")]
    [InlineData("ab:", new[] { "p", "-aa" }, "a a | 2")]
    [InlineData("ab:", new[] { "p", "-b", "" }, "b= | 3")]
    public void GetoptFollowsDjb(string opts, string[] args, string expected) => Assert.Equal(expected, Parse(opts, args));

    [Fact]
    public void GetoptReportsProblems()
    {
        var g = new Getopt(Argv("p", "-z"), "ab:");
        Assert.Equal('?', g.Next());
        var h = new Getopt(Argv("p", "-b"), "ab:");
        Assert.Equal('?', h.Next());
        var colon = new Getopt(Argv("p", "-:"), "ab:");
        Assert.Equal('?', colon.Next());
    }

    [Theory]
    [InlineData("123", 3, 123UL)]
    [InlineData("12x", 2, 12UL)]
    [InlineData("", 0, 0UL)]
    [InlineData("-1", 0, 0UL)]
    [InlineData("18446744073709551615", 20, ulong.MaxValue)]
    [InlineData("18446744073709551616", 20, 0UL)]
    public void ScanULongWrapsLikeC(string s, int used, ulong value)
    {
        Assert.Equal(used, Numbers.ScanULong(Encoding.ASCII.GetBytes(s), out var v));
        Assert.Equal(value, v);
    }

    static unsafe string[] Entries(byte** envp)
    {
        var list = new System.Collections.Generic.List<string>();
        for (int i = 0; envp[i] != null; i++) list.Add(Encoding.Latin1.GetString(envp[i], Args.Length(envp[i])));
        return list.ToArray();
    }

    /// <summary>EnvBlock applies changes as djb's pathexec does (the first entry of the name goes,
    /// the last entry takes its place, a setting is appended), and keeps its entries when its
    /// text moves to a larger buffer.</summary>
    [Fact]
    public unsafe void EnvBlockAppliesChangesAsPathexec()
    {
        var startEntries = new[] { "A=1", "B=2", "C=3", "B=4", "D=5" };
        using var start = new CStrings(null, Argv(startEntries));
        using var env = new EnvBlock(start.Envp);
        env.Apply("B=x"u8);
        env.Apply("C"u8);
        var big = new string('v', 5000);
        env.Set("E"u8, Encoding.Latin1.GetBytes(big));
        env.Unset("Z"u8);
        Assert.Equal(new[] { "A=1", "D=5", "B=x", "B=4", "E=" + big }, Entries(env.Envp));
        env.Reset();
        Assert.Equal(startEntries, Entries(env.Envp));
    }

    [Fact]
    public void FormatPadsToMinimumDigits()
    {
        Assert.Equal("007", Encoding.ASCII.GetString(Numbers.Text(7, 3)));
        Assert.Equal("4294967295", Encoding.ASCII.GetString(Numbers.Text(4294967295, 9)));
        Assert.Equal("0", Encoding.ASCII.GetString(Numbers.Text(0)));
    }

    [Fact]
    public void FormatHexIsLowerCaseAndPadded()
    {
        Span<byte> b = stackalloc byte[20];
        Assert.Equal("ff", Encoding.ASCII.GetString(b.Slice(0, Numbers.FormatHex(b, 255))));
        Assert.Equal("0a", Encoding.ASCII.GetString(b.Slice(0, Numbers.FormatHex(b, 10, 2))));
        Assert.Equal("ffffffffffffffff", Encoding.ASCII.GetString(b.Slice(0, Numbers.FormatHex(b, ulong.MaxValue))));
    }

    /// <summary>n newlines make n + 1 lines, as djb's programs read resolv.conf and dnsrewrite.</summary>
    [Theory]
    [InlineData("", "[]")]
    [InlineData("a", "[a]")]
    [InlineData("a\n", "[a][]")]
    [InlineData("a\n\nb", "[a][][b]")]
    public void LinesSplitAtEveryNewline(string data, string lines)
    {
        var found = new StringBuilder();
        foreach (var line in new Lines(Encoding.ASCII.GetBytes(data))) found.Append('[').Append(Encoding.ASCII.GetString(line)).Append(']');
        Assert.Equal(lines, found.ToString());
    }

    [Fact]
    public void Tai64nLabelLayout()
    {
        var label = new byte[12];
        Tai64.Pack(label, Tai64.Epoch + 1_600_000_000, 10);
        var text = new byte[25];
        Tai64.Format(label, text);
        Assert.Equal("@400000005f5e100a0000000a", Encoding.ASCII.GetString(text));
    }

    [Theory]
    [InlineData(2, "file does not exist")]
    [InlineData(13, "access denied")]
    [InlineData(1, "permission denied")]
    [InlineData(6, "device not configured")]
    [InlineData(11, "temporary failure")]
    [InlineData(40, "symbolic link loop")]
    [InlineData(98, "address already used")]
    [InlineData(28, "out of disk space")]
    [InlineData(9999, "unknown error")]
    public void ErrorTextsAreDjbs(int errno, string text) => Assert.Equal(text, Encoding.ASCII.GetString(Errors.Text(errno)));

    [Fact]
    public void PasswdLinesAreReadLikeNssFiles()
    {
        var passwd = Encoding.ASCII.GetBytes("root:x:0:0:root:/root:/bin/sh\nbad:x:abc:1::/:\nqmaild:x:7791:2108::/var/qmail:/bin/false\nqmaild:x:1:1::/:\nnoend:x:5:6");
        Assert.True(Accounts.Find(passwd, "qmaild"u8, out var uid, out var gid));
        Assert.Equal((7791u, 2108u), (uid, gid));
        Assert.False(Accounts.Find(passwd, "bad"u8, out _, out _));
        Assert.False(Accounts.Find(passwd, "qmail"u8, out _, out _));
        Assert.False(Accounts.Find(passwd, "noend"u8, out _, out _));
        Assert.True(Accounts.Find(passwd, "root"u8, out uid, out gid));
        Assert.Equal((0u, 0u), (uid, gid));
    }
}

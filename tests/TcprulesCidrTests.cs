// CIDR blocks in tcprules (beyond 0.88): the keys of a block are those of djb's ranges and
// prefixes; for random blocks and addresses the decision of our tcprulescheck, of Debian's
// tcprulescheck (ucspi-tcp and ucspi-tcp-ipv6) on our cdb and of a reference computed here from
// the blocks agree; malformed blocks are errors with the line number; Debian's tcpserver reads
// our cdb.
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public class TcprulesCidrTests
{
    static byte[] B(string s) => Encoding.Latin1.GetBytes(s);

    /// <summary>The records of a cdb in order, as (key, data), read by cdbdump.</summary>
    static List<(string key, string data)> Records(byte[] cdb)
    {
        var dump = Run(Ours("cdbdump"), [], stdinBytes: cdb).Out;
        var records = new List<(string, string)>();
        for (int i = 0; dump[i] == '+';)
        {
            int comma = dump.IndexOf(',', i), colon = dump.IndexOf(':', comma);
            int klen = int.Parse(dump[(i + 1)..comma]), dlen = int.Parse(dump[(comma + 1)..colon]);
            records.Add((dump.Substring(colon + 1, klen), dump.Substring(colon + 1 + klen + 2, dlen)));
            i = colon + 1 + klen + 2 + dlen + 1;
        }
        return records;
    }

    static List<(string key, string data)> Compiled(string exe, string rules)
    {
        using var d = new TempDir();
        var (r, cdb) = TcprulesTests.Compile(exe, d.Path, B(rules));
        Assert.True(r.Exit == 0, r.ToString());
        return Records(cdb);
    }

    // An IPv4 block has the keys djb's tcprules makes of the range or prefix it stands for, in
    // the same order; its data is the rule's, led by "#LINE BLOCK".
    [Theory]
    [InlineData("10.0.0.0/8", "10.")]
    [InlineData("192.168.1.64/27", "192.168.1.64-95")]
    [InlineData("192.168.1.0/24", "192.168.1.")]
    [InlineData("10.64.0.0/10", "10.64-127.")]
    [InlineData("172.16.0.0/12", "172.16-31.")]
    [InlineData("1.2.3.4/32", "1.2.3.4")]
    [InlineData("1.2.3.4/31", "1.2.3.4-5")]
    [InlineData("128.0.0.0/1", "128-255.")]
    [InlineData("0.0.0.0/0", "0-255.")]
    // an IPv4-mapped block: the IPv4 keys, then the same for tcpserver -6 (::ffff:a.b.c.d)
    [InlineData("::ffff:10.0.0.0/104", "10.", "::ffff:10.")]
    [InlineData("::FFFF:192.168.1.64/123", "192.168.1.64-95", "::ffff:192.168.1.64-95")]
    public void IPv4BlockIsDjbsRange(string block, string range, string mapped = null)
    {
        var ours = Compiled(Ours("tcprules"), $"# line 1\n{block}:allow,VAR=\"x\"\n");
        // the IPv6 build's tcprules reads "::ffff:..." addresses, and ranges in them
        var theirs = Compiled(mapped == null ? Theirs("tcprules") : TheirsIpv6("tcprules"), $"# line 1\n{range}:allow,VAR=\"x\"\n" + (mapped == null ? "" : $"{mapped}:allow\n"));
        Assert.Equal(theirs.Select(t => t.key), ours.Select(o => o.key));
        Assert.All(ours, o => Assert.Equal($"#2 {block}\0+VAR=x\0", o.data));
    }

    [Theory]
    [InlineData("2001:db8::/32", "2001:db8:")]
    [InlineData("2001:DB8::/31", "2001:db8: 2001:db9:")]
    [InlineData("2001:db8:1234::/48", "2001:db8:1234:")]
    [InlineData("2001:db8:1:2:3:4:5:6/128", "2001:db8:1:2:3:4:5:6")]
    [InlineData("2001:db8:1:2:3:4:5:6/127", "2001:db8:1:2:3:4:5:6 2001:db8:1:2:3:4:5:7")]
    // a single zero group is "::" too, as Debian's ucspi-tcp-ipv6 writes it
    [InlineData("2001:db8:0:1:1:1:1:0/127", "2001:db8::1:1:1:1:0 2001:db8::1:1:1:1:1")]
    [InlineData("2001:0:0:1:0:0:5:4/127", "2001::1:0:0:5:4 2001::1:0:0:5:5")]
    [InlineData("1:2:3:4:5:6:7:0/128", "1:2:3:4:5:6:7::")]
    public void IPv6BlockKeys(string block, string keys)
    {
        var ours = Compiled(Ours("tcprules"), $"{block}:deny\n");
        Assert.Equal(keys.Split(' '), ours.Select(o => o.key));
        Assert.All(ours, o => Assert.Equal($"#1 {block}\0D\0", o.data));
        Assert.Equal(64, Compiled(Ours("tcprules"), "fe80::/10:deny\n").Count);
    }

    /// <summary>Addresses as Debian's ucspi-tcp-ipv6 writes them (its tcpclient's messages).</summary>
    [Theory]
    [InlineData("2001:db8:0:1:1:1:1:1", "2001:db8::1:1:1:1:1")]
    [InlineData("2001:0:0:1:0:0:0:1", "2001:0:0:1::1")]
    [InlineData("1:0:2:0:0:3:0:0", "1:0:2::3:0:0")]
    [InlineData("2001:DB8:00ab::1", "2001:db8:ab::1")]
    [InlineData("::ffff:1.2.3.4", "::ffff:1.2.3.4")]
    [InlineData("0:0:0:0:0:0:0:0", "::")]
    public void Ucspi6Text(string address, string text) =>
        Assert.Equal(text, Encoding.ASCII.GetString(Ip.Format(IPAddress.Parse(address).GetAddressBytes())));

    // Malformed blocks: exit 100 as for tcprules' other rule errors, the line number, and the
    // old cdb left as it was.
    [Theory]
    [InlineData("10.0.0.0/33", "bad prefix length in CIDR block")]
    [InlineData("10.0.0.0/", "bad prefix length in CIDR block")]
    [InlineData("10.0.0.0/x", "bad prefix length in CIDR block")]
    [InlineData("10.0.0.0/-8", "bad prefix length in CIDR block")]
    [InlineData("10.0.0.0/0008", "bad prefix length in CIDR block")]
    [InlineData("2001:db8::/129", "bad prefix length in CIDR block")]
    [InlineData("10.0.0.1/8", "CIDR block has bits set below its prefix length")]
    [InlineData("192.168.1.65/27", "CIDR block has bits set below its prefix length")]
    [InlineData("2001:db8::1/32", "CIDR block has bits set below its prefix length")]
    [InlineData("10.0.0/8", "bad address in CIDR block")]
    [InlineData("300.0.0.0/8", "bad address in CIDR block")]
    [InlineData("/8", "bad address in CIDR block")]
    [InlineData("10.0.0.0/8/8", "bad address in CIDR block")]
    [InlineData("10.0-1.0.0/16", "bad address in CIDR block")]
    [InlineData("2001:db8:::/32", "bad address in CIDR block")]
    [InlineData("2001:0::/32", "IPv6 block with zero groups that tcpserver writes as \"::\"")]
    [InlineData("2001:db8::/64", "IPv6 block with zero groups that tcpserver writes as \"::\"")]
    [InlineData("::/0", "IPv6 block with zero groups that tcpserver writes as \"::\"")]
    [InlineData("2001:db8:1::/127", "IPv6 block with zero groups that tcpserver writes as \"::\"")]
    public void MalformedBlock(string block, string why)
    {
        using var d = new TempDir();
        var old = B("+ an old cdb that must survive +");
        File.WriteAllBytes(d["rules.cdb"], old);
        var (r, cdb) = TcprulesTests.Compile(Ours("tcprules"), d.Path, B($"# comment\n1.2.3.4:deny\n{block}:deny,A=\"b\"\n5.6.7.8:allow\n"));
        Assert.Equal((100, "", $"tcprules: fatal: unable to parse line 3: {why}: {block}:deny,A=\"b\"\n"), (r.Exit, r.Out, r.Err));
        Assert.Equal(old, cdb);
    }

    // A "/" in an address with "=" or "@" is not a block: those lines are as djb's tcprules has them.
    [Fact]
    public void SlashInHostOrInfoAddressIsLiteral()
    {
        var rules = "=a/b.example:deny\njoe@10.0.0.0/8:allow\njoe@=x/y:deny\n10.0.0.0:allow,A=/x/\n";
        Assert.Equal(Compiled(Theirs("tcprules"), rules), Compiled(Ours("tcprules"), rules));
    }

    /// <summary>A block of random rules: its text, address bytes, prefix length and line.</summary>
    sealed record Block(string Text, byte[] Ip, int Bits, int Line, bool Deny)
    {
        public bool Holds(byte[] ip)
        {
            if (ip.Length != Ip.Length) return false;
            for (int i = 0; i < Bits; i++)
                if (((ip[i / 8] ^ Ip[i / 8]) & (0x80 >> (i % 8))) != 0) return false;
            return true;
        }

        /// <summary>The unit of djb's keys: an octet for IPv4, a group for IPv6.</summary>
        int Unit => Ip.Length == 4 ? 8 : 16;

        /// <summary>How many units its keys name: more is more specific in djb's lookup.</summary>
        public int Level => Math.Max(1, (Bits + Unit - 1) / Unit);

        /// <summary>The key of this block's level that ip (inside it, written as text) matches.</summary>
        public string Key(byte[] ip, string text)
        {
            if (Level * Unit == ip.Length * 8) return text;
            return Ip.Length == 4
                ? string.Concat(ip.Take(Level).Select(o => o + "."))
                : string.Concat(Enumerable.Range(0, Level).Select(g => (ip[2 * g] << 8 | ip[2 * g + 1]).ToString("x") + ":"));
        }
    }

    static byte[] Masked(byte[] ip, int bits)
    {
        var m = (byte[])ip.Clone();
        for (int i = bits; i < m.Length * 8; i++) m[i / 8] &= (byte)~(0x80 >> (i % 8));
        return m;
    }

    /// <summary>An address of the block: its prefix, random bits below (IPv6 groups often 0).</summary>
    static byte[] Inside(Random r, Block b)
    {
        var ip = RandomIp(r, b.Ip.Length);
        for (int i = 0; i < b.Bits; i++)
        {
            int mask = 0x80 >> (i % 8);
            ip[i / 8] = (byte)((ip[i / 8] & ~mask) | (b.Ip[i / 8] & mask));
        }
        return ip;
    }

    static byte[] RandomIp(Random r, int length)
    {
        var ip = new byte[length];
        r.NextBytes(ip);
        if (length == 16)
            for (int g = 0; g < 8; g++) if (r.Next(3) == 0) ip[2 * g] = ip[2 * g + 1] = 0;
        return ip;
    }

    /// <summary>The reference: the block djb's lookup reaches first, from the blocks alone: the
    /// one of the most specific level holding ip, the earliest line among equals; null if none.</summary>
    static Block Reference(List<Block> blocks, byte[] ip) =>
        blocks.Where(b => b.Holds(ip)).OrderByDescending(b => b.Level).ThenBy(b => b.Line).FirstOrDefault();

    /// <summary>A random IPv4 block (now and then inside an earlier one).</summary>
    static (byte[] ip, int bits) RandomBlock4(Random r, List<Block> earlier)
    {
        int bits = r.Next(33);
        if (earlier.Count > 0 && r.Next(3) == 0)
        {
            var outer = earlier[r.Next(earlier.Count)];
            if (outer.Ip.Length == 4) return (Masked(Inside(r, outer), Math.Max(bits, outer.Bits)), Math.Max(bits, outer.Bits));
        }
        return (Masked(RandomIp(r, 4), bits), bits);
    }

    /// <summary>A random IPv6 block that tcprules can key: non-zero groups in a prefix of at most
    /// 256 keys, or a /113 and longer (any groups but the seventh, so that no address of it is
    /// written with a trailing "::" of two groups).</summary>
    static (byte[] ip, int bits) RandomBlock6(Random r, List<Block> earlier)
    {
        var ip = RandomIp(r, 16);
        int bits;
        if (r.Next(3) == 0)
        {
            bits = 113 + r.Next(16);
            if (ip[12] == 0 && ip[13] == 0) ip[13] = 1;
        }
        else
        {
            bits = 16 * (1 + r.Next(7)) - (r.Next(2) == 0 ? 0 : r.Next(8));
            for (int g = 0; g < 8; g++) if (ip[2 * g] == 0 && ip[2 * g + 1] == 0) ip[2 * g] = (byte)(1 + r.Next(255));
            if (earlier.Count > 0 && r.Next(3) == 0)
            {
                var outer = earlier[r.Next(earlier.Count)];
                if (outer.Ip.Length == 16 && outer.Bits < 113)
                {
                    bits = Math.Max(bits, outer.Bits);
                    ip = Inside(r, outer);
                    for (int g = 0; g < 8; g++) if (ip[2 * g] == 0 && ip[2 * g + 1] == 0) ip[2 * g + 1] = 1;
                }
            }
            // the group the prefix ends in must stay non-zero after masking
            int last = (bits - 1) / 16;
            ip = Masked(ip, bits);
            if (ip[2 * last] == 0 && ip[2 * last + 1] == 0) return RandomBlock6(r, earlier);
        }
        return (Masked(ip, bits), bits);
    }

    static string Text(byte[] ip, int bits) =>
        (ip.Length == 4 ? string.Join('.', ip) : new IPAddress(ip).ToString()) + "/" + bits;

    [Fact] public void RandomIPv4Blocks() => RandomBlocks(20261202, 4, 8);
    [Fact] public void RandomIPv6Blocks() => RandomBlocks(20261203, 16, 8);

    /// <summary>Files of random blocks (with comments, so that line numbers are not rule
    /// numbers) and random addresses, mostly inside some block: our tcprulescheck shows the
    /// reference's block and line, Debian's (both builds for IPv4, the IPv6 build for IPv6) the
    /// key, and all the reference's decision.</summary>
    static void RandomBlocks(int seed, int length, int files)
    {
        var random = new Random(seed);
        // djb's lookup tries the prefixes ending in "." only: IPv6 blocks are for the IPv6 build
        var checkers = length == 4 ? new[] { Theirs("tcprulescheck"), TheirsIpv6("tcprulescheck") } : new[] { TheirsIpv6("tcprulescheck") };
        int checks = 0;
        for (int f = 0; f < files; f++)
        {
            using var d = new TempDir();
            var blocks = new List<Block>();
            var rules = new StringBuilder();
            int line = 0;
            for (int n = 1 + random.Next(8); n > 0; n--)
            {
                if (random.Next(3) == 0) { rules.Append("# comment\n"); line++; }
                var (ip, bits) = length == 4 ? RandomBlock4(random, blocks) : RandomBlock6(random, blocks);
                var block = new Block(Text(ip, bits), ip, bits, ++line, random.Next(2) == 0);
                blocks.Add(block);
                rules.Append(block.Text).Append(block.Deny ? ":deny" : ":allow").Append($",LINE=\"{block.Line}\"\n");
            }
            var (r, _) = TcprulesTests.Compile(Ours("tcprules"), d.Path, B(rules.ToString()));
            Assert.True(r.Exit == 0, rules + r.ToString());
            for (int a = 0; a < 30; a++)
            {
                var ip = random.Next(5) == 0 ? RandomIp(random, length) : Inside(random, blocks[random.Next(blocks.Count)]);
                var texts = length == 4 ? new[] { string.Join('.', ip) } : new[] { Encoding.ASCII.GetString(Ip.Format(ip)) };
                foreach (var text in texts.Distinct())
                {
                    var expect = Reference(blocks, ip);
                    var body = expect == null ? "allow connection\n"
                        : expect.Deny ? "deny connection\n" : $"set environment variable LINE={expect.Line}\nallow connection\n";
                    var env = TcprulesTests.Env(text, null, null);
                    var where = $"seed {seed} file {f} address {text}:\n{rules}";
                    var ours = Run(Ours("tcprulescheck"), ["rules.cdb"], cwd: d.Path, env: env);
                    Assert.True((expect == null ? "default:\n" : $"rule {expect.Text} (line {expect.Line}, key {expect.Key(ip, text)}):\n") + body == ours.Out, where + ours);
                    foreach (var checker in checkers)
                    {
                        var theirs = Run(checker, ["rules.cdb"], cwd: d.Path, env: env);
                        Assert.True((expect == null ? "default:\n" : $"rule {expect.Key(ip, text)}:\n") + body == theirs.Out, where + theirs);
                    }
                    checks++;
                }
            }
        }
        Assert.True(checks >= files * 30, checks.ToString());
    }

    /// <summary>An IPv4-mapped block reaches clients written either way (tcpserver -6 writes them
    /// ::ffff:a.b.c.d), for the IPv6 build's tcprulescheck as for ours.</summary>
    [Fact]
    public void MappedBlockForTcpserverMinus6()
    {
        using var d = new TempDir();
        var (r, _) = TcprulesTests.Compile(Ours("tcprules"), d.Path, B("::ffff:10.0.0.0/104:deny\n::ffff:192.168.1.64/123:allow,A=\"b\"\n"));
        Assert.Equal(0, r.Exit);
        foreach (var (ip, key, body) in new[] { ("10.1.2.3", "10.", "deny connection\n"), ("::ffff:10.1.2.3", "::ffff:10.", "deny connection\n"),
                     ("::ffff:192.168.1.70", "::ffff:192.168.1.70", "set environment variable A=b\nallow connection\n"), ("::ffff:192.168.1.96", null, "allow connection\n") })
        {
            var env = TcprulesTests.Env(ip, null, null);
            Assert.Equal((key == null ? "default:\n" : $"rule {key}:\n") + body, Run(TheirsIpv6("tcprulescheck"), ["rules.cdb"], cwd: d.Path, env: env).Out);
            var block = ip.Contains("192") ? "::ffff:192.168.1.64/123 (line 2" : "::ffff:10.0.0.0/104 (line 1";
            Assert.Equal((key == null ? "default:\n" : $"rule {block}, key {key}):\n") + body, Run(Ours("tcprulescheck"), ["rules.cdb"], cwd: d.Path, env: env).Out);
        }
    }

    /// <summary>Debian's tcpserver and ours on our cdb, clients on several loopback addresses.</summary>
    [Fact]
    public void TcpserverReadsOurCdb()
    {
        using var d = new TempDir();
        var rules = "127.0.0.0/30:allow,BLOCK=\"a\"\n127.0.0.4/30:deny\n127.0.0.0/8:allow,BLOCK=\"b\"\n";
        var (r, _) = TcprulesTests.Compile(Ours("tcprules"), d.Path, B(rules));
        Assert.Equal(0, r.Exit);
        foreach (var tcpserver in new[] { Theirs("tcpserver"), TheirsIpv6("tcpserver"), Ours("tcpserver") })
        {
            using var s = new Server(tcpserver, $"-R -H -l0 -x {d["rules.cdb"]}", "sh -c 'echo \"block=$BLOCK\"'");
            foreach (var (source, expect) in new[] { ("127.0.0.2", "block=a\n"), ("127.0.0.5", ""), ("127.0.0.9", "block=b\n") })
            {
                var c = Run(Theirs("tcpclient"), ["-RHl0", "-i", source, "127.0.0.1", s.Port.ToString(), "sh", "-c", "cat <&6"]);
                Assert.True(expect == c.Out, $"{tcpserver} from {source}: {c}");
            }
        }
    }
}

// Host name qualification (djb's dns_ip4_qualify) in tcpclient and tcpserver against Debian's:
// dnsrewrite rules of each kind, $LOCALDOMAIN, the errors; and the parts that read
// /etc/resolv.conf and the host's name, which no variable can point elsewhere, as unit tests.
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public sealed class QualifyDns : IDisposable
{
    // Every name is local (/#/), so a name without records is answered at once, never refused.
    public readonly DnsServer Dns = new("127.0.0.68", "--local=/#/",
        "--host-record=host.a.test,127.0.0.11",
        "--host-record=host.b.test,127.0.0.12",
        "--host-record=host,127.0.0.13",
        "--host-record=other.example,127.0.0.14");
    public void Dispose() => Dns.Dispose();
}

public class DnsQualifyTests : IClassFixture<QualifyDns>
{
    readonly QualifyDns fx;
    public DnsQualifyTests(QualifyDns fx) => this.fx = fx;

    static readonly string[] Served = ["127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14", "127.0.0.20"];

    /// <summary>The environment for one run: the rules as the dnsrewrite file (no file when
    /// null), $LOCALDOMAIN only when given.</summary>
    Dictionary<string, string> Env(TempDir d, string rules, string localDomain = null)
    {
        if (rules != null) d.Write("dnsrewrite", rules);
        return new() { ["DNSCACHEIP"] = fx.Dns.Ip, ["DNSREWRITEFILE"] = d["dnsrewrite"], ["LOCALDOMAIN"] = localDomain };
    }

    /// <summary>tcpclient to port 1 of the name, where nothing listens: the refusal names the
    /// address chosen, the fatal messages the failures.</summary>
    static Result Client(string exe, string name, Dictionary<string, string> env) =>
        Run(exe, ["-RHl0", name, "1", "true"], env: env);

    static string SameClient(string name, Dictionary<string, string> env)
    {
        var theirs = Client(Theirs("tcpclient"), name, env);
        var ours = Client(Ours("tcpclient"), name, env);
        Assert.Equal(theirs.ToString(), ours.ToString());
        return ours.Err;
    }

    static string Refused(string ip) => $"tcpclient: unable to connect to {ip} port 1: connection refused\n";

    [Theory]
    [InlineData("=host:other.example\n", "host", "127.0.0.14")]
    [InlineData("=host:other.example\n", "HOST", "127.0.0.14")]
    [InlineData("*.example:.a.test\n", "host.EXAMPLE", "127.0.0.11")]
    [InlineData("?:.b.test\n*.:\n", "host", "127.0.0.12")]
    [InlineData("?:.b.test\n*.:\n", "host.", "127.0.0.13")]
    [InlineData("?:.b.test\n*.:\n", "host.a.test", "127.0.0.11")]
    [InlineData("-.zz:other.example\n", "any.thing.zz", "127.0.0.14")]
    [InlineData("?:+.x.test+.b.test+.a.test\n", "host", "127.0.0.12")]
    [InlineData("=host:127.0.0.20 \t\r\n", "host", "127.0.0.20")]
    [InlineData("?:ost\n?:+.a.test\n", "h", "127.0.0.11")]
    [InlineData("=127.0.0.1:host.b.test\n", "0", "127.0.0.12")]
    [InlineData("*.0.0.30:.0.0.20\n", "127.0.0.30", "127.0.0.20")]
    [InlineData("", "host.", "127.0.0.13")]
    [InlineData("", "host..a.test.", "127.0.0.11")]
    [InlineData("", "ho\\163t.b.test", "127.0.0.12")]
    [InlineData("", "ho+st+.b.test", "127.0.0.13")]
    [InlineData("", "[127.0.0.20]", "127.0.0.20")]
    [InlineData("=host:a.test\n?:+.x\n*a.test:b.test\n", "host", null)]
    public void RewriteRulesMatchDebian(string rules, string name, string ip)
    {
        using var d = new TempDir();
        var err = SameClient(name, Env(d, rules));
        Assert.Equal(ip == null ? $"tcpclient: fatal: no IP address for {name}\n" : Refused(ip), err);
    }

    [Theory]
    [InlineData("=host:other.example\n", "xhost", "no IP address for xhost")]
    [InlineData("# comment\n+host:127.0.0.1\n\n?:+.x.test+.y.test\n", "host", "no IP address for host")]
    [InlineData("=host:127.0.0.20:99\n", "host", "no IP address for host")]
    [InlineData("", "127.0.0", "no IP address for 127.0.0")]
    [InlineData("", "x+", "no IP address for x+")]
    [InlineData("", "+", "no IP address for +")]
    [InlineData("", "a234567890123456789012345678901234567890123456789012345678901234.test",
        "temporarily unable to figure out IP address for a234567890123456789012345678901234567890123456789012345678901234.test: protocol error")]
    public void FailuresMatchDebian(string rules, string name, string message)
    {
        using var d = new TempDir();
        Assert.Equal($"tcpclient: fatal: {message}\n", SameClient(name, Env(d, rules)));
    }

    [Fact]
    public void UnreadableRewriteFileIsATemporaryFailure()
    {
        using var d = new TempDir();
        var env = Env(d, null);
        env["DNSREWRITEFILE"] = d.Path;
        Assert.Equal("tcpclient: fatal: temporarily unable to figure out IP address for host: is a directory\n", SameClient("host", env));
    }

    [Fact]
    public void RefusingServersGiveDjbsErrorsAfterTheThirdRound()
    {
        using var d = new TempDir();
        using var refusing = new DnsServer("127.0.0.69"); // no local names: it refuses them all
        var cases = new[] { (refusing.Ip, "temporary failure"), ("127.0.0.71", "connection refused") };
        var runs = new List<Task<Result>>();
        foreach (var (ip, _) in cases)
            foreach (var exe in new[] { Theirs("tcpclient"), Ours("tcpclient") })
            {
                var env = Env(d, "");
                env["DNSCACHEIP"] = ip;
                runs.Add(Task.Run(() => Run(exe, ["host.zz", "1", "true"], env: env, timeoutMs: 60000)));
            }
        for (int i = 0; i < cases.Length; i++)
        {
            Assert.Equal(runs[2 * i].Result.ToString(), runs[2 * i + 1].Result.ToString());
            Assert.Equal($"tcpclient: fatal: temporarily unable to figure out IP address for host.zz: {cases[i].Item2}\n", runs[2 * i + 1].Result.Err);
        }
    }

    [Theory]
    [InlineData("x.test a.test", "host", "127.0.0.11")]
    [InlineData("b.test a.test", "host", "127.0.0.12")]
    [InlineData("x.test  a.test", "host", "127.0.0.13")]
    [InlineData("", "host", "127.0.0.13")]
    [InlineData("x.test", "host.b.test", "127.0.0.12")]
    [InlineData("x.test", "host", null)]
    public void LocalDomainMatchesDebian(string localDomain, string name, string ip)
    {
        using var d = new TempDir();
        var err = SameClient(name, Env(d, null, localDomain));
        Assert.Equal(ip == null ? $"tcpclient: fatal: no IP address for {name}\n" : Refused(ip), err);
    }

    [Fact]
    public void RewriteFileComesBeforeLocalDomain()
    {
        using var d = new TempDir();
        Assert.Equal(Refused("127.0.0.13"), SameClient("host", Env(d, "", "b.test")));
        var env = Env(d, null, "b.test");
        env["DNSREWRITEFILE"] = "";
        Assert.Equal(Refused("127.0.0.12"), SameClient("host", env));
    }

    /// <summary>The address a tcpserver listens on, from the child's $TCPLOCALIP.</summary>
    static string Listening(string exe, string name, Dictionary<string, string> env)
    {
        using var s = new Server(exe, "-RHl0", "sh -c 'echo $TCPLOCALIP'", env, host: name);
        foreach (var ip in Served)
            try { return Server.Exchange(new IPEndPoint(IPAddress.Parse(ip), s.Port)); }
            catch (SocketException) { }
        return "nothing";
    }

    [Theory]
    [InlineData("=host:other.example\n", null, "host", "127.0.0.14")]
    [InlineData("?:+.x.test+.b.test\n", null, "host", "127.0.0.12")]
    [InlineData(null, "x.test a.test", "host", "127.0.0.11")]
    [InlineData("=0.0.0.0:127.0.0.20\n", null, "0", "127.0.0.20")]
    public void TcpserverListensWhereDebianDoes(string rules, string localDomain, string name, string ip)
    {
        using var d = new TempDir();
        var env = Env(d, rules, localDomain);
        Assert.Equal(ip + "\n", Listening(Theirs("tcpserver"), name, env));
        Assert.Equal(ip + "\n", Listening(Ours("tcpserver"), name, env));
    }

    [Theory]
    [InlineData("=host:nohost.test\n", "host")]
    [InlineData("", "a234567890123456789012345678901234567890123456789012345678901234")]
    [InlineData(null, "-q host")]
    public void TcpserverFailuresMatchDebian(string rules, string args)
    {
        using var d = new TempDir();
        var env = Env(d, rules, "x.test");
        if (rules == null) env["DNSREWRITEFILE"] = d.Path;
        var theirs = Run(Theirs("tcpserver"), [.. args.Split(' '), "0", "true"], env: env);
        var ours = Run(Ours("tcpserver"), [.. args.Split(' '), "0", "true"], env: env);
        Assert.Equal(theirs.ToString(), ours.ToString());
        Assert.Equal(111, ours.Exit);
    }

    // ---- the rules as djb builds them, each ended by a 0 byte

    static string Text(byte[] b) => b == null ? null : Encoding.Latin1.GetString(b);
    static byte[] Bytes(string s) => Encoding.Latin1.GetBytes(s);

    [Theory]
    [InlineData("nameserver 10.0.0.1\nsearch x.test b.test\ndomain a.test\n", "?:+.x.test+.b.test\0*.:\0")]
    [InlineData("domain\t  a.test\t\tx.test \r\nsearch b.test\n", "?:+.a.test+.x.test+.\r\0*.:\0")]
    [InlineData("searchx b.test\n search c.test\ndomain a.test", "?:+.a.test\0*.:\0")]
    [InlineData("search \n", "?:\0*.:\0")]
    [InlineData("search\nsearch", null)]
    [InlineData("nameserver 10.0.0.1\n", null)]
    [InlineData("", null)]
    public void ResolvConfSearchAndDomainLines(string conf, string rules) =>
        Assert.Equal(rules, Text(DnsQualify.ResolvConfRules(Bytes(conf))));

    [Theory]
    [InlineData("vm.a.test", "?:.a.test\0*.:\0")]
    [InlineData("vm.", "?:.\0*.:\0")]
    [InlineData("vm", "*.:\0")]
    public void HostsOwnDomain(string host, string rules) =>
        Assert.Equal(rules, Text(DnsQualify.HostRules(Bytes(host))));

    [Theory]
    [InlineData("x  y", "?:+.x+.+.y\0*.:\0")]
    [InlineData("", "?:+.\0*.:\0")]
    public void LocalDomainList(string list, string rules) =>
        Assert.Equal(rules, Text(DnsQualify.LocalDomainRules(Bytes(list))));

    [Theory]
    [InlineData("=a:b \t\r\n\n*c:d", "=a:b\0\0*c:d\0")]
    [InlineData("", "\0")]
    [InlineData("?:x\n", "?:x\0\0")]
    public void RewriteFileLines(string file, string rules) =>
        Assert.Equal(rules, Text(DnsQualify.FileRules(Bytes(file))));

    [Theory]
    [InlineData("host", "?:+.a+.b\0*.:\0", "host+.a+.b", "host.a host.b")]
    [InlineData("host.", "?:+.a+.b\0*.:\0", "host", "host")]
    [InlineData("Foo.EXAMPLE", "*.example:.test\0", "Foo.test", "Foo.test")]
    [InlineData("a.b", "-b:c\0=c:d\0", "d", "d")]
    [InlineData("a.b", "=b:c\0", "a.b", "a.b")]
    [InlineData("[a]", "?:.x\0", "[a]", "[a]")]
    [InlineData("a+b+", "", "a+b+", "ab a")]
    [InlineData("x+", "", "x+", "x")]
    public void RewriteAndCandidates(string name, string rules, string rewritten, string candidates)
    {
        var fqdn = DnsQualify.Rewrite(Bytes(name), Bytes(rules));
        Assert.Equal(rewritten, Text(fqdn));
        Assert.Equal(candidates, string.Join(' ', DnsQualify.Candidates(fqdn).ConvertAll(Text)));
    }

    [Theory]
    [InlineData("a..b.", "\u0001a\u0001b\0")]
    [InlineData("\\101\\.b\\", "\u0003A.b\0")]
    [InlineData("\\1234", "\u0002S4\0")]
    [InlineData("", "\0")]
    public void NamesAreEncodedAsDjbDoes(string name, string wire) =>
        Assert.Equal(wire, Text(DnsPacket.Encode(Bytes(name))));

    [Fact]
    public void NamesTooLongCannotBeSent()
    {
        Assert.NotNull(DnsPacket.Encode(Bytes(new string('a', 63))));
        Assert.Null(DnsPacket.Encode(Bytes(new string('a', 64))));
        var label = new string('a', 63);
        Assert.NotNull(DnsPacket.Encode(Bytes($"{label}.{label}.{label}.{new string('a', 61)}")));
        Assert.Null(DnsPacket.Encode(Bytes($"{label}.{label}.{label}.{new string('a', 62)}")));
    }
}

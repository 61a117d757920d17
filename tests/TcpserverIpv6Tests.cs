// tcpserver and tcpclient with ucspi-tcp-ipv6's options and IPv6 addresses, against Debian's
// ucspi-tcp-ipv6 (unpacked by make test, see Harness.TheirsIpv6): the environment a child sees,
// the log, usage and errors.
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Text.RegularExpressions;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public sealed class Ipv6Dns : IDisposable
{
    public readonly DnsServer Dns = new("127.0.0.62",
        "--host-record=host.example,127.0.0.1",
        "--host-record=six.example,::1",
        "--ptr-record=1.0.0.127.in-addr.arpa,Host.Example",
        "--ptr-record=1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa,Six.Example");
    public void Dispose() => Dns.Dispose();
}

public class TcpserverIpv6Tests : IClassFixture<Ipv6Dns>
{
    readonly Ipv6Dns fx;
    public TcpserverIpv6Tests(Ipv6Dns fx) => this.fx = fx;

    Dictionary<string, string> Env() => new()
    {
        ["DNSCACHEIP"] = fx.Dns.Ip, ["TCPREMOTEHOST"] = "inherited", ["TCP6REMOTEHOST"] = "inherited",
        ["TCP6INTERFACE"] = "inherited", ["RELAYCLIENT"] = "inherited",
    };

    const string Dump = "sh -c 'env | grep -E \"^(PROTO|TCP|RELAYCLIENT|X=)\" | sort'";

    const string ClientDump = "sh -c 'cat <&6; env | grep -E \"^(PROTO|TCP)\" | sort'";

    static IPEndPoint To(string client, int port) => new(IPAddress.Parse(client), port);

    /// <summary>What the child of one connection from each client saw, and the log, with ports
    /// and pids replaced.</summary>
    (string output, string log) Once(string exe, string options, string host, string[] clients, string program)
    {
        using var s = new Server(exe, options, program, Env(), host);
        var output = "";
        int accepted = 0;
        foreach (var client in clients)
        {
            output += "-- " + client + "\n";
            try { output += Server.Exchange(To(client, s.Port)); accepted++; }
            catch (System.Net.Sockets.SocketException e) { output += e.SocketErrorCode + "\n"; }
            // One connection at a time, so that the log lines come in one order.
            if (options.Contains("-v"))
                Assert.True(WaitFor(() => Regex.Matches(s.Log, " end ").Count == accepted
                    && s.Log.TrimEnd().EndsWith("status: 0/40")), s.Log);
        }
        output = output.Replace("PORT=" + s.Port + "\n", "PORT=LPORT\n");
        return (Regex.Replace(output, @"REMOTEPORT=\d+", "REMOTEPORT=R"), s.NormalLog());
    }

    void Same(string options, string host, string program = Dump, params string[] clients)
    {
        if (clients.Length == 0) clients = ["::1", "127.0.0.1"];
        var theirs = Once(TheirsIpv6("tcpserver"), options, host, clients, program);
        var ours = Once(Ours("tcpserver"), options, host, clients, program);
        Assert.Equal(theirs.output, ours.output);
        Assert.Equal(theirs.log, ours.log);
    }

    [Theory]
    [InlineData("-v -R -H -l0", "::1")]
    [InlineData("-v -R -H -l local.name", "::1")]
    [InlineData("-v -R -h", "::1")]
    [InlineData("-v -R -p", "::1")]
    [InlineData("-v -r -t 2 -H -l0", "::1")]
    [InlineData("-R -H -l0", "::1")]
    [InlineData("-v -R -H -l0", "0::0")]
    [InlineData("-v -R -h -p", "0::0")]
    [InlineData("-v -R -H -l0 -6", "0")]
    [InlineData("-v -R -H -l0 -6", "''")]
    [InlineData("-v -R -h -6", "0")]
    [InlineData("-v -R -H -l0 -4", "0")]
    [InlineData("-v -R -h -4", "127.0.0.1")]
    [InlineData("-v -R -H -l0", "::ffff:127.0.0.1")]
    [InlineData("-v -R -H -l0 -6", "six.example")]
    [InlineData("-v -R -H -l0 -I lo", "::1")]
    [InlineData("-v -R -H -l0 -I lo", "0::0")]
    [InlineData("-v -R -H -l0 -I nosuchinterface", "::1")]
    [InlineData("-v -R -H -l0 -6 -B banner\\ text", "::1")]
    public void EnvironmentAndLogMatchDebian(string options, string host) => Same(options, host);

    /// <summary>-I with the link-local addresses of lo, if it has any (TCP6INTERFACE), and the
    /// interface names and numbers it relies on.</summary>
    [Fact]
    public void LinkLocalAddressesOnLoMatchDebian()
    {
        Assert.Equal(1u, Net.InterfaceIndex("lo"u8.ToArray()));
        Assert.Equal(0u, Net.InterfaceIndex("nosuchinterface"u8.ToArray()));
        Assert.Equal("lo", System.Text.Encoding.ASCII.GetString(Net.InterfaceName(1)));
        Assert.Equal("[unknown]", System.Text.Encoding.ASCII.GetString(Net.InterfaceName(1000000)));
        foreach (var line in File.ReadAllLines("/proc/net/if_inet6"))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f[5] != "lo" || !f[0].StartsWith("fe80")) continue;
            var ip = IPAddress.Parse(Regex.Replace(f[0], "(.{4})(?!$)", "$1:")).ToString();
            Same("-v -R -H -l0 -I lo", ip, Dump, ip + "%1");
        }
    }

    [Fact]
    public void RulesMatchDebian()
    {
        using var d = new TempDir();
        Run(Ours("tcprules"), [d["r.cdb"], d["r.tmp"]], stdin:
            "::1:allow,X=\"native\"\n127.0.0.1:allow,X=\"four\"\n::ffff:127.0.0.1:allow,X=\"mapped\"\n:deny\n");
        Run(Ours("tcprules"), [d["prefix.cdb"], d["prefix.tmp"]], stdin: "::ffff:127.:allow,X=\"m\"\n::1:deny\n127.:allow,X=\"p\"\n");
        Run(Ours("tcprules"), [d["deny.cdb"], d["deny.tmp"]], stdin: "::1:deny\n");
        foreach (var cdb in new[] { "r", "prefix", "deny" })
        {
            Same($"-v -R -H -l0 -x {d[cdb + ".cdb"]}", "0::0");
            Same($"-v -R -H -l0 -6 -x {d[cdb + ".cdb"]}", "0");
        }
        Same($"-v -R -H -l0 -x {d["missing.cdb"]}", "::1");
    }

    [Theory]
    [InlineData("-6")]
    [InlineData("-6 0")]
    [InlineData("-4 0 0")]
    [InlineData("-6 -Z 0 0 true")]
    [InlineData("-6 0 nosuchservice true")]
    [InlineData("-6 1.2.3 0 true")]
    [InlineData("-6 nosuchhost.test 0 true")]
    [InlineData("-4 ::1 0 true")]
    [InlineData("-q -6 0 nosuchservice true")]
    public void ErrorsMatchDebian(string args) => SameResult("tcpserver", args);

    void SameResult(string program, string args)
    {
        var env = new Dictionary<string, string> { ["DNSCACHEIP"] = fx.Dns.Ip };
        var theirs = Sh($"exec {TheirsIpv6(program)} {args}", env: env);
        var ours = Sh($"exec {Ours(program)} {args}", env: env);
        Assert.Equal(theirs.ToString(), ours.ToString());
    }

    [Fact]
    public void PortInUseMatchesDebian()
    {
        using var s = new Server(Ours("tcpserver"), "-R -H -l0", "true", host: "::1");
        foreach (var exe in new[] { TheirsIpv6("tcpserver"), Ours("tcpserver") })
        {
            var r = Sh($"exec {exe} ::1 {s.Port} true");
            Assert.Equal("exit 111\n--- stdout\n\n--- stderr\ntcpserver: fatal: unable to bind: address already used\n", r.ToString());
        }
    }

    /// <summary>tcpclient's child's environment and messages, against a server on host.</summary>
    string Client(string exe, string options, string host, string server = "0::0")
    {
        using var s = new Server(Ours("tcpserver"), "-R -H -l0", "echo hello", Env(), server);
        var r = Sh($"exec {exe} {options} {host} {s.Port} {ClientDump}", env: Env());
        var text = r.ToString().Replace("PORT=" + s.Port + "\n", "PORT=RPORT\n").Replace(" port " + s.Port, " port RPORT");
        return Regex.Replace(text, @"LOCALPORT=\d+", "LOCALPORT=L");
    }

    [Theory]
    [InlineData("-RHl0", "::1")]
    [InlineData("-RHl0", "127.0.0.1")]
    [InlineData("-RHl0 -4", "127.0.0.1")]
    [InlineData("-RHl0 -4", "::1")]
    [InlineData("-RHl0 -4", "0")]
    [InlineData("-RHl0 -6", "127.0.0.1")]
    [InlineData("-RHl0 -6", "0")]
    [InlineData("-v -RHl0 -6", "''")]
    [InlineData("-v -R -h", "::1")]
    [InlineData("-v -R -H -l x", "six.example")]
    [InlineData("-v -RHl0 -i ::1", "::1")]
    [InlineData("-v -RHl0 -i 127.0.0.1", "::1")]
    [InlineData("-v -RHl0 -i ::1", "127.0.0.1")]
    [InlineData("-v -RHl0 -I lo", "::1")]
    [InlineData("-v -RHl0 -I nosuchinterface", "::1")]
    public void ClientEnvironmentMatchesDebian(string options, string host) =>
        Assert.Equal(Client(TheirsIpv6("tcpclient"), options, host), Client(Ours("tcpclient"), options, host));

    [Theory]
    [InlineData("-6")]
    [InlineData("-6 -Z 0 0 true")]
    [InlineData("-4 0 nosuchservice true")]
    [InlineData("-6 1.2.3 0 true")]
    [InlineData("-q -6 0")]
    [InlineData("-i 1.2.3 ::1 1 true")]
    [InlineData("::2 1 true")]
    [InlineData("-4 ::2 1 true")]
    [InlineData("-6 127.0.0.1 1 true")]
    public void ClientErrorsMatchDebian(string args) => SameResult("tcpclient", args);

    [Fact]
    public void ClientRefusedOnTheServerSideMatchesDebian()
    {
        using var s = new Server(Ours("tcpserver"), "-R -H -l0", "true", host: "::1");
        foreach (var host in new[] { "127.0.0.1", "-6 127.0.0.1" }) SameResult("tcpclient", $"{host} {s.Port} true");
    }
}

// rblsmtpd against Debian's: decisions from $RBLSMTPD and from real DNS (dnsmasq), the SMTP
// dialogue byte for byte; truncated answers, lost and never answered queries (a fake server).
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public sealed class RblDns : IDisposable
{
    public readonly DnsServer Dns = new("127.0.0.63",
        "--txt-record=2.0.0.127.rbl.test,listed: see http://rbl.test/?2",
        "--txt-record=3.0.0.127.rbl.test,\"part one \",\"part two\"",
        "--txt-record=4.0.0.127.rbl.test,bad\tbyte",
        "--host-record=2.0.0.127.good.test,127.0.0.2",
        "--txt-record=1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.rbl.test,v6 listed");
    public void Dispose() => Dns.Dispose();
}

public class RblsmtpdTests : IClassFixture<RblDns>
{
    readonly RblDns fx;
    public RblsmtpdTests(RblDns fx) => this.fx = fx;

    const string Session = "HELO x\r\nmail from:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nnoop\r\nbogus\nQUIT\r\nhelo after quit\r\n";

    Result Run1(string exe, string ip, string args, string rblsmtpd = null, string stdin = Session, string dns = null)
    {
        var env = new Dictionary<string, string> { ["DNSCACHEIP"] = dns ?? fx.Dns.Ip, ["TCPREMOTEIP"] = ip, ["RBLSMTPD"] = rblsmtpd };
        return Sh($"exec {exe} {args} 2>&1", env: env, stdin: stdin, timeoutMs: 90000);
    }


    static string Normal(Result r) => System.Text.RegularExpressions.Regex.Replace(r.ToString(), @" pid \d+:", " pid P:");

    void Same(string ip, string args, string rblsmtpd = null, string stdin = Session)
        => Assert.Equal(Normal(Run1(Theirs("rblsmtpd"), ip, args, rblsmtpd, stdin)), Normal(Run1(Ours("rblsmtpd"), ip, args, rblsmtpd, stdin)));

    [Theory]
    [InlineData("127.0.0.2", "-r rbl.test echo accepted")]
    [InlineData("127.0.0.3", "-r rbl.test echo accepted")]
    [InlineData("127.0.0.4", "-r rbl.test echo accepted")]
    [InlineData("127.0.0.5", "-r rbl.test echo accepted")]
    [InlineData("127.0.0.2", "-b -r rbl.test echo accepted")]
    [InlineData("127.0.0.2", "-t0 -r rbl.test echo accepted")]
    [InlineData("127.0.0.2", "-b -t0 -r rbl.test echo accepted")]
    [InlineData("127.0.0.2", "-a good.test -r rbl.test echo accepted")]
    [InlineData("127.0.0.2", "-r rbl.test -a good.test echo accepted")]
    [InlineData("127.0.0.2", "-r nothing.test -r rbl.test echo accepted")]
    [InlineData("127.0.0.2", "-t 5 -r rbl.test")]
    [InlineData("127.0.0.2", "")]
    [InlineData("127.0.0.2", "-Z x")]
    [InlineData("", "-r rbl.test echo accepted")]
    [InlineData("127.0.0.2", "-r rbl.test /nonexistent/smtpd")]
    [InlineData("127.0.0.5", "-r rbl.test /nonexistent/smtpd")]
    public void DecisionsAndDialoguesMatchDebian(string ip, string args) => Same(ip, args);

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("-go away")]
    [InlineData("not welcome here, try later")]
    public void RblsmtpdVariableMatchesDebian(string value)
    {
        Same("127.0.0.5", "-r rbl.test echo accepted", value);
        Same("127.0.0.2", "-t0 -r rbl.test echo accepted", value);
    }

    [Fact]
    public void LongTextIsCut() =>
        Same("127.0.0.5", "-t0 echo accepted", new string('x', 300) + "\u00e9");

    [Fact]
    public void PartialLastLineAndEofEndTheDialogue() => Same("127.0.0.2", "-r rbl.test echo x", stdin: "helo\r\nrcpt");

    [Fact]
    public void Ipv6ClientsAreLookedUpByNibbles()
    {
        var r = Run1(Ours("rblsmtpd"), "::1", "-t0 -r rbl.test echo accepted");
        Assert.Equal("rblsmtpd: ::1 pid P: 451 v6 listed\n451 v6 listed\r\n", Normal(r).Split("--- stdout\n")[1].Split("\n--- stderr")[0]);
    }

    [Fact]
    public void TruncatedAnswerIsFetchedOverTcp()
    {
        using var fake = new FakeDns("127.0.0.64", truncate: true, dropFirst: 0);
        var r = Run1(Ours("rblsmtpd"), "127.0.0.2", "-t0 -r rbl.test echo accepted", dns: fake.Ip);
        Assert.Contains("451 over tcp\r\n", r.Out);
        Assert.True(fake.TcpQueries > 0);
    }

    [Fact]
    public void LostQueryIsRetried()
    {
        using var fake = new FakeDns("127.0.0.65", truncate: false, dropFirst: 1);
        var r = Run1(Ours("rblsmtpd"), "127.0.0.2", "-t0 -r rbl.test echo accepted", dns: fake.Ip);
        Assert.Contains("451 over udp\r\n", r.Out);
        Assert.Equal(2, fake.UdpQueries);
    }

    [Fact]
    public void ServerThatNeverAnswersIsATemporaryFailure()
    {
        using var fake = new FakeDns("127.0.0.66", truncate: false, dropFirst: int.MaxValue);
        var theirs = Task.Run(() => Normal(Run1(Theirs("rblsmtpd"), "127.0.0.2", "-c -t0 -r rbl.test echo accepted", dns: fake.Ip)));
        var ours = Task.Run(() => Normal(Run1(Ours("rblsmtpd"), "127.0.0.2", "-c -t0 -r rbl.test echo accepted", dns: fake.Ip)));
        Assert.Equal(theirs.Result, ours.Result);
        Assert.Contains("451 temporary RBL lookup error", ours.Result);
    }
}

/// <summary>A DNS server that answers every TXT query with "over udp"/"over tcp", can set the
/// truncation bit on UDP, and can ignore the first N UDP queries.</summary>
public sealed class FakeDns : IDisposable
{
    public readonly string Ip;
    readonly UdpClient udp;
    readonly TcpListener tcp;
    public int UdpQueries, TcpQueries;
    readonly CancellationTokenSource stop = new();

    public FakeDns(string ip, bool truncate, int dropFirst, string silentFor = null)
    {
        Ip = ip;
        udp = new UdpClient(new IPEndPoint(IPAddress.Parse(ip), 53));
        tcp = new TcpListener(IPAddress.Parse(ip), 53);
        tcp.Start();
        Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var q = await udp.ReceiveAsync(stop.Token);
                if (Interlocked.Increment(ref UdpQueries) <= dropFirst) continue;
                if (silentFor != null && Name(q.Buffer).Contains(silentFor)) continue;
                var a = Answer(q.Buffer, truncate ? null : "over udp");
                await udp.SendAsync(a, a.Length, q.RemoteEndPoint);
            }
        });
        Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var c = await tcp.AcceptTcpClientAsync(stop.Token);
                Interlocked.Increment(ref TcpQueries);
                var s = c.GetStream();
                var len = new byte[2];
                await s.ReadExactlyAsync(len);
                var q = new byte[len[0] << 8 | len[1]];
                await s.ReadExactlyAsync(q);
                var a = Answer(q, "over tcp");
                await s.WriteAsync(new[] { (byte)(a.Length >> 8), (byte)a.Length });
                await s.WriteAsync(a);
            }
        });
    }

    static string Name(byte[] q)
    {
        var sb = new StringBuilder();
        for (int i = 12; i < q.Length && q[i] != 0; i += q[i] + 1) sb.Append(Encoding.ASCII.GetString(q, i + 1, q[i])).Append('.');
        return sb.ToString();
    }

    static byte[] Answer(byte[] q, string text)
    {
        int end = 12;
        while (q[end] != 0) end += q[end] + 1;
        end += 5;
        var r = new List<byte>(q[..end]);
        r[2] = (byte)(0x81 | (text == null ? 2 : 0)); r[3] = 0x80;
        r[6] = 0; r[7] = (byte)(text == null ? 0 : 1);
        if (text != null)
        {
            var t = Encoding.ASCII.GetBytes(text);
            r.AddRange(new byte[] { 0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, (byte)(t.Length + 1), (byte)t.Length });
            r.AddRange(t);
        }
        return r.ToArray();
    }

    public void Dispose()
    {
        stop.Cancel();
        udp.Dispose();
        tcp.Stop();
    }
}

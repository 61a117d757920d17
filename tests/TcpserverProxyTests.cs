// tcpserver -Y behind haproxy (send-proxy and send-proxy-v2, from a config the test writes) and
// with headers made by hand: the client's address in the child's environment, in the rules and
// in the limits; LOCAL and UNKNOWN headers; a missing or bad header dropped and logged.
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

/// <summary>Debian's haproxy in front of a port: one frontend that sends a version 1 header and
/// one that sends version 2, both to backend on 127.0.0.1, connecting from 127.0.0.20.</summary>
public sealed class Haproxy : IDisposable
{
    public const string ProxyIp = "127.0.0.20";
    readonly Process p;
    readonly TempDir dir = new();
    public readonly int V1, V2;

    public Haproxy(int backend)
    {
        V1 = FreePort();
        V2 = FreePort();
        string Frontend(string name, int port, string send) =>
            $"frontend {name}\n  bind 127.0.0.1:{port}\n  default_backend {name}b\n" +
            $"backend {name}b\n  server s 127.0.0.1:{backend} {send} source {ProxyIp}\n";
        var config = dir.Write("haproxy.cfg", "global\n  maxconn 200\ndefaults\n  mode tcp\n  timeout connect 10s\n" +
            "  timeout client 60s\n  timeout server 60s\n" + Frontend("v1", V1, "send-proxy") + Frontend("v2", V2, "send-proxy-v2"));
        var exe = "/usr/sbin/haproxy";
        if (!File.Exists(exe)) throw new FileNotFoundException("haproxy is not installed (apt-get install haproxy)");
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-db", "-f", config }) psi.ArgumentList.Add(a);
        p = Process.Start(psi)!;
        if (!WaitFor(() => p.HasExited || Listening(V1) && Listening(V2), 15000) || p.HasExited)
            throw new InvalidOperationException("haproxy did not start: " + p.StandardError.ReadToEnd());
    }

    static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    static bool Listening(int port)
    {
        try { using var c = new TcpClient("127.0.0.1", port); return true; }
        catch (SocketException) { return false; }
    }

    public void Dispose()
    {
        try { p.Kill(); p.WaitForExit(5000); } catch { }
        p.Dispose();
        dir.Dispose();
    }
}

public class TcpserverProxyTests
{
    const string Dump = "sh -c 'env | grep -E \"^(PROTO|TCP|PROXY)\" | sort'";

    static string Through(int port, string from)
    {
        using var h = new Held(from, port);
        var all = new StringBuilder();
        string line;
        while ((line = h.Line()) != "") all.Append(line);
        return all.ToString();
    }

    [Fact]
    public void BehindHaproxyTheChildSeesTheClientAndRulesDenyByIt()
    {
        using var d = new TempDir();
        Run(Ours("tcprules"), new[] { d["r.cdb"], d["r.tmp"] }, stdin: "127.0.0.9:deny\n" + Haproxy.ProxyIp + ":deny\n:allow\n");
        using var s = new Server(Ours("tcpserver"), $"-v -Y -R -H -l0 -x {d["r.cdb"]}", Dump,
            new Dictionary<string, string> { ["TCPREMOTEINFO"] = "inherited" });
        using var haproxy = new Haproxy(s.Port);
        foreach (var port in new[] { haproxy.V1, haproxy.V2 })
        {
            var env = Through(port, "127.0.0.8");
            Assert.Contains("PROTO=TCP\n", env);
            Assert.Contains("TCPREMOTEIP=127.0.0.8\n", env);
            Assert.Contains($"TCPLOCALIP=127.0.0.1\nTCPLOCALPORT={port}\n", env);
            Assert.Contains($"PROXYREMOTEIP={Haproxy.ProxyIp}\n", env);
            Assert.DoesNotContain("TCPREMOTEINFO", env);
            Assert.Equal("", Through(port, "127.0.0.9"));
        }
        Assert.True(s.WaitLog("tcpserver: deny "), s.Log);
        Assert.Contains("tcpserver: pid ", s.Log);
        Assert.Matches(@"tcpserver: ok \d+ 0:127\.0\.0\.1:\d+ :127\.0\.0\.8::\d+\n", s.Log);
        Assert.Matches(@"tcpserver: deny \d+ 0:127\.0\.0\.1:\d+ :127\.0\.0\.9::\d+\n", s.Log);
        Assert.DoesNotContain("from " + Haproxy.ProxyIp, s.Log);
    }

    [Fact]
    public void BehindHaproxyLimitsCountTheClient()
    {
        using var s = new Server(Ours("tcpserver"), "-v -Y -R -H -l0 -C 1", "sh -c 'echo hi; exec cat >/dev/null'");
        using var haproxy = new Haproxy(s.Port);
        using var first = new Held("127.0.0.10", haproxy.V2);
        Assert.Equal("hi\n", first.Line());
        using (var second = new Held("127.0.0.10", haproxy.V1)) Assert.Equal("", second.Line());
        using var other = new Held("127.0.0.11", haproxy.V1);
        Assert.Equal("hi\n", other.Line());
        // waited for as a whole line, so that a failure shows the whole log
        const string limited = @"tcpserver: limit -C=1 0:127\.0\.0\.1:\d+ :127\.0\.0\.10::\d+\n";
        Assert.True(WaitFor(() => Regex.IsMatch(s.Log, limited), 15000), s.Log);
    }

    static string Exchange(int port, byte[] send)
    {
        using var c = new TcpClient();
        c.Connect("127.0.0.1", port);
        c.ReceiveTimeout = 15000;
        var stream = c.GetStream();
        stream.Write(send);
        c.Client.Shutdown(SocketShutdown.Send);
        var ms = new MemoryStream();
        try { stream.CopyTo(ms); } catch (IOException) { }
        return Encoding.Latin1.GetString(ms.ToArray());
    }

    static readonly byte[] V2Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    static byte[] V2(byte command, byte family, byte[] block) =>
        [.. V2Signature, command, family, (byte)(block.Length >> 8), (byte)block.Length, .. block];

    [Fact]
    public void HandMadeHeadersAreParsedStrictlyAndNothingAfterThemIsTaken()
    {
        const string program = "sh -c 'echo $PROTO $TCPREMOTEIP $TCPREMOTEPORT $TCPLOCALIP $TCPLOCALPORT $PROXYREMOTEIP; cat'";
        using var s = new Server(Ours("tcpserver"), "-v -Y -R -H -l0", program);
        string Send(string text) => Exchange(s.Port, Encoding.Latin1.GetBytes(text));
        var me = $"127.0.0.1 \\d+ 127.0.0.1 {s.Port} 127.0.0.1";
        Assert.Equal("TCP 1.2.3.4 1111 5.6.7.8 25 127.0.0.1\nhello", Send("PROXY TCP4 1.2.3.4 5.6.7.8 1111 25\r\nhello"));
        Assert.Equal("TCP6 2001:db8::1 65535 ::1 0 127.0.0.1\nPROXY x", Send("PROXY TCP6 2001:DB8::1 ::1 65535 0\r\nPROXY x"));
        Assert.Matches($"^TCP {me}\nx$", Send("PROXY UNKNOWN\r\nx"));
        Assert.Matches($"^TCP {me}\nx$", Send("PROXY UNKNOWN ffff::1 ::1 1 2\r\nx"));
        var tlv = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 0, 16, 0, 25, 0xEE, 0, 2, 9, 9 };
        Assert.Equal("TCP 1.2.3.4 16 5.6.7.8 25 127.0.0.1\ndata", Exchange(s.Port, [.. V2(0x21, 0x11, tlv), .. "data"u8]));
        var six = new byte[36];
        six[0] = 0x20; six[1] = 0x01; six[15] = 7; six[31] = 1; six[33] = 99; six[35] = 25;
        Assert.Equal("TCP6 2001::7 99 ::1 25 127.0.0.1\n", Exchange(s.Port, V2(0x21, 0x21, six)));
        Assert.Matches($"^TCP {me}\ndata$", Exchange(s.Port, [.. V2(0x20, 0x00, []), .. "data"u8]));
        Assert.Matches($"^TCP {me}\n$", Exchange(s.Port, V2(0x20, 0x11, new byte[12])));
        Assert.Matches($"^TCP {me}\n$", Exchange(s.Port, V2(0x21, 0x31, new byte[216])));
        Assert.True(WaitFor(() => s.Log.Split("tcpserver: ok ").Length - 1 == 9), s.Log);

        var bad = new Dictionary<string, byte[]>
        {
            ["malformed version 1 header"] = Encoding.Latin1.GetBytes("PROXY TCP4 01.2.3.4 5.6.7.8 1111 25\r\n"),
            ["malformed version 1 header."] = Encoding.Latin1.GetBytes("PROXY TCP4 1.2.3.4 5.6.7.8 01111 25\r\n"),
            ["malformed version 1 header.."] = Encoding.Latin1.GetBytes("PROXY TCP4 1.2.3.4 5.6.7.8 1111 25\n"),
            ["malformed version 1 header..."] = Encoding.Latin1.GetBytes("PROXY TCP4 1.2.3.4  5.6.7.8 1111 25\r\n"),
            ["malformed version 1 header...."] = Encoding.Latin1.GetBytes("PROXY TCP6 1.2.3.4 5.6.7.8 1111 25\r\n"),
            ["malformed version 1 header....."] = Encoding.Latin1.GetBytes("PROXY TCP4 1.2.3.4 5.6.7.8 1111 65536\r\n"),
            ["no CRLF in the first 107 bytes"] = Encoding.Latin1.GetBytes("PROXY UNKNOWN " + new string('x', 100) + "\r\n"),
            ["not a PROXY header"] = Encoding.Latin1.GetBytes("EHLO example.org\r\n"),
            ["malformed version 2 header"] = V2(0x21, 0x11, new byte[11]),
            ["malformed version 2 header."] = V2(0x11, 0x11, new byte[12]),
            ["malformed version 2 header.."] = V2(0x22, 0x11, new byte[12]),
            ["malformed version 2 header..."] = V2(0x21, 0x12, new byte[12]),
            ["malformed version 2 header...."] = V2(0x21, 0x41, new byte[12]),
            ["connection closed"] = Encoding.Latin1.GetBytes("PROXY TCP4 1.2.3.4"),
        };
        foreach (var (why, header) in bad)
        {
            Assert.Equal("", Exchange(s.Port, header));
            Assert.True(s.WaitLog($"tcpserver: warning: dropping connection, bad PROXY header from 127.0.0.1: {why.TrimEnd('.')}\n"), why + "\n" + s.Log);
        }
        Assert.True(WaitFor(() => s.Log.Split("bad PROXY header").Length - 1 == bad.Count && s.Log.TrimEnd().EndsWith("status: 0/40")), s.Log);
        Assert.Equal(9, s.Log.Split("tcpserver: ok ").Length - 1);
    }

    [Fact]
    public void HostNamesAreLookedUpForTheHeadersAddresses()
    {
        using var dns = new DnsServer("127.0.0.73", "--ptr-record=2.0.0.127.in-addr.arpa,client.example",
            "--ptr-record=3.0.0.127.in-addr.arpa,server.example", "--ptr-record=1.0.0.127.in-addr.arpa,proxy.example");
        using var s = new Server(Ours("tcpserver"), "-Y -R -h", Dump, new Dictionary<string, string> { ["DNSCACHEIP"] = dns.Ip });
        var env = Exchange(s.Port, Encoding.Latin1.GetBytes("PROXY TCP4 127.0.0.2 127.0.0.3 1111 25\r\n"));
        Assert.Contains("TCPREMOTEHOST=client.example\n", env);
        Assert.Contains("TCPLOCALHOST=server.example\n", env);
        Assert.DoesNotContain("proxy.example", env);
    }

    [Fact]
    public void InIpv6ModeTheHeaderFillsTheTcp6VariablesToo()
    {
        using var s = new Server(Ours("tcpserver"), "-6 -Y -R -H -l0", Dump);
        var v4 = Exchange(s.Port, Encoding.Latin1.GetBytes("PROXY TCP4 1.2.3.4 5.6.7.8 1111 25\r\n"));
        Assert.Equal("PROTO=TCP6\nPROXYREMOTEIP=::ffff:127.0.0.1\nTCP6LOCALHOST=0\nTCP6LOCALIP=::ffff:5.6.7.8\nTCP6LOCALPORT=25\n" +
                     "TCP6REMOTEIP=::ffff:1.2.3.4\nTCP6REMOTEPORT=1111\nTCPLOCALHOST=0\nTCPLOCALIP=::ffff:5.6.7.8\nTCPLOCALPORT=25\n" +
                     "TCPREMOTEIP=::ffff:1.2.3.4\nTCPREMOTEPORT=1111\n", v4);
        var v6 = Exchange(s.Port, Encoding.Latin1.GetBytes("PROXY TCP6 2001:db8::1 2001:db8::2 1111 25\r\n"));
        Assert.Contains("PROTO=TCP6\n", v6);
        Assert.Contains("TCP6REMOTEIP=2001:db8::1\nTCP6REMOTEPORT=1111\n", v6);
        Assert.Contains("TCPREMOTEIP=2001:db8::1\n", v6);
        Assert.Contains("TCP6LOCALIP=2001:db8::2\n", v6);
    }

    /// <summary>A header that comes in pieces is read piece by piece, and what follows it stays
    /// in the socket, however long the header (a version 2 block with TLVs past the buffer).</summary>
    [Fact]
    public void AHeaderInPiecesIsReadUpToItsEndExactly()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new TcpClient();
        client.Connect(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        client.NoDelay = true;
        using var server = listener.AcceptSocket();
        var header = new ProxyHeader();
        void Send(byte[] bytes)
        {
            int before = server.Available;
            client.GetStream().Write(bytes);
            Assert.True(WaitFor(() => server.Available >= before + bytes.Length));
            header.Step(Native.POLLIN);
        }
        var block = new byte[300];
        block[0] = 10; block[3] = 1; block[4] = 10; block[7] = 2; block[9] = 80; block[11] = 25;
        var v2 = V2(0x21, 0x11, block);
        foreach (var pieces in new[]
                 {
                     new[] { "PROXY TCP4 1.2."u8.ToArray(), "3.4 5.6.7.8 80 2"u8.ToArray(), "5\r"u8.ToArray(), "\nafter"u8.ToArray() },
                     new[] { v2[..7], v2[7..20], v2[20..150], [.. v2[150..], .. "after"u8] },
                 })
        {
            header.Start((int)server.Handle, long.MaxValue);
            foreach (var piece in pieces[..^1])
            {
                Send(piece);
                Assert.Equal(ProxyHeader.Outcome.Reading, header.Result);
            }
            Send(pieces[^1]);
            Assert.Equal(ProxyHeader.Outcome.Proxied, header.Result);
            Assert.Equal(80, header.RemotePort);
            Assert.Equal(25, header.LocalPort);
            var after = new byte[16];
            Assert.Equal("after", Encoding.Latin1.GetString(after, 0, server.Receive(after)));
        }
    }

    [Fact]
    public void AConnectionWithoutAHeaderIsDroppedAfterTheTimeoutAndLogged()
    {
        using var s = new Server(Ours("tcpserver"), "-v -Y -y 1 -R -H -l0", "echo served");
        using var silent = new Held("127.0.0.12", s.Port);
        Assert.Equal("", silent.Line());
        Assert.True(s.WaitLog("tcpserver: warning: dropping connection, bad PROXY header from 127.0.0.12: timed out\n"), s.Log);
        // Meanwhile the server went on: a client with a header is served while another is silent.
        using var silent2 = new Held("127.0.0.13", s.Port);
        Assert.Equal("served\n", Exchange(s.Port, Encoding.Latin1.GetBytes("PROXY UNKNOWN\r\n")));
        Assert.Equal("", silent2.Line());
    }
}

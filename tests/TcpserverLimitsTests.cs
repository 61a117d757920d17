// tcpserver's limits per client beyond 0.88: -C, MAXCONNIP and MAXCONIP, MAXCONNC, MAXCONNRATE,
// DIEMSG; clients are played by loopback source addresses (127.0.0.2, 127.0.0.3, ...).
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

/// <summary>A client from a chosen loopback address that stays connected.</summary>
public sealed class Held : IDisposable
{
    readonly Socket socket;
    readonly NetworkStream stream;

    public Held(string from, int port, string send = null)
    {
        socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 15000 };
        socket.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
        socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        stream = new NetworkStream(socket);
        if (send != null) stream.Write(Encoding.Latin1.GetBytes(send));
    }

    /// <summary>The first line, or what came before the end ("" if nothing).</summary>
    public string Line()
    {
        var line = new List<byte>();
        int b;
        while ((b = stream.ReadByte()) >= 0 && b != '\n') line.Add((byte)b);
        if (b == '\n') line.Add((byte)b);
        return Encoding.Latin1.GetString(line.ToArray());
    }

    /// <summary>Closes with a reset instead of a FIN.</summary>
    public void Reset()
    {
        socket.LingerState = new LingerOption(true, 0);
        Dispose();
    }

    public void Dispose()
    {
        stream.Dispose();
        socket.Dispose();
    }
}

public class TcpserverLimitsTests
{
    const string Hold = "sh -c 'echo hi; exec cat >/dev/null'";

    static string Rules(TempDir d, string rules)
    {
        var r = Run(Ours("tcprules"), new[] { d["r.cdb"], d["r.tmp"] }, stdin: rules);
        Assert.True(r.Exit == 0, r.ToString());
        return d["r.cdb"];
    }

    /// <summary>A connection from an address that the program serves (its "hi" read), held.</summary>
    static Held Served(string from, int port)
    {
        var h = new Held(from, port);
        Assert.Equal("hi\n", h.Line());
        return h;
    }

    /// <summary>What a refused connection from an address gets before it is closed.</summary>
    static string Refused(string from, int port)
    {
        using var h = new Held(from, port);
        var said = h.Line();
        Assert.Equal("", h.Line());
        return said;
    }

    [Fact]
    public void PerIpLimitRefusesTheThirdFromOneAddressWhileAnotherIsServed()
    {
        using var d = new TempDir();
        var cdb = Rules(d, ":allow,DIEMSG=\"421 too many connections from your address\"\n");
        using var s = new Server(Ours("tcpserver"), $"-v -R -H -l0 -C 2 -x {cdb}", Hold);
        using var a1 = Served("127.0.0.2", s.Port);
        using var a2 = Served("127.0.0.2", s.Port);
        Assert.Equal("421 too many connections from your address\r\n", Refused("127.0.0.2", s.Port));
        using var b = Served("127.0.0.3", s.Port);
        Assert.True(s.WaitLog("tcpserver: limit -C=2 0:127.0.0.1:"), s.Log);
        Assert.Matches(@"tcpserver: limit -C=2 0:127\.0\.0\.1:\d+ :127\.0\.0\.2::\d+\n", s.Log);
        // Once one of the two has ended, the address has a place again.
        a1.Dispose();
        Assert.True(s.WaitLog("status 0\n"), s.Log);
        using var a4 = Served("127.0.0.2", s.Port);
    }

    [Fact]
    public void RuleVariablesOverridePerIpAndZeroAlwaysRefuses()
    {
        using var d = new TempDir();
        var cdb = Rules(d, "127.0.0.4:allow,MAXCONIP=\"0\",DIEMSG=\"go away\"\n127.0.0.5:allow,MAXCONNIP=\"0\"\n" +
                           "127.0.0.6:allow,MAXCONNIP=\"3\",MAXCONIP=\"1\"\n:allow\n");
        using var s = new Server(Ours("tcpserver"), $"-v -R -H -l0 -C 1 -x {cdb}", Hold);
        Assert.Equal("go away\r\n", Refused("127.0.0.4", s.Port));
        Assert.Equal("", Refused("127.0.0.5", s.Port));
        var held = Enumerable.Range(0, 3).Select(_ => Served("127.0.0.6", s.Port)).ToList();
        Assert.Equal("", Refused("127.0.0.6", s.Port));
        using var other = Served("127.0.0.7", s.Port);
        Assert.Equal("", Refused("127.0.0.7", s.Port));
        Assert.True(s.WaitLog("limit -C=1 "), s.Log);
        Assert.Contains("tcpserver: limit MAXCONIP=0 ", s.Log);
        Assert.Contains("tcpserver: limit MAXCONNIP=0 ", s.Log);
        Assert.Contains("tcpserver: limit MAXCONNIP=3 ", s.Log);
        foreach (var h in held) h.Dispose();
    }

    [Fact]
    public void MaxConnCCountsA24()
    {
        using var d = new TempDir();
        var cdb = Rules(d, ":allow,MAXCONNC=\"2\",DIEMSG=\"421 busy\"\n");
        using var s = new Server(Ours("tcpserver"), $"-v -R -H -l0 -x {cdb}", Hold);
        using var a = Served("127.0.0.2", s.Port);
        using var b = Served("127.0.0.3", s.Port);
        Assert.Equal("421 busy\r\n", Refused("127.0.0.4", s.Port));
        using var other = Served("127.0.1.2", s.Port);
        Assert.True(s.WaitLog("tcpserver: limit MAXCONNC=2 "), s.Log);
        Assert.Contains(":127.0.0.4::", s.Log);
    }

    [Fact]
    public void MaxConnRateRefusesTheSixthWithinTwoSecondsAndAcceptsLater()
    {
        using var d = new TempDir();
        var cdb = Rules(d, ":allow,MAXCONNRATE=\"5/2\",DIEMSG=\"421 slow down\"\n");
        using var s = new Server(Ours("tcpserver"), $"-v -R -H -l0 -x {cdb}", "echo hi");
        // A token comes back every 400 ms: a burst counts only if it took less than that, so that
        // none came back during it (on a loaded machine a burst may take longer: try another
        // address).
        string[] answers = null;
        string counted = null;
        for (int round = 2; round < 40 && answers == null; round++)
        {
            var from = "127.0.2." + round;
            var clock = Stopwatch.StartNew();
            var burst = Enumerable.Range(0, 7).Select(_ => Task.Run(() => { using var h = new Held(from, s.Port); return h.Line(); })).ToArray();
            Task.WaitAll(burst);
            if (clock.ElapsedMilliseconds >= 400) continue;
            answers = burst.Select(t => t.Result).ToArray();
            counted = from;
        }
        Assert.NotNull(answers);
        Assert.Equal(5, answers.Count(a => a == "hi\n"));
        Assert.Equal(2, answers.Count(a => a == "421 slow down\r\n"));
        Assert.True(s.WaitLog($"tcpserver: limit MAXCONNRATE=5/2 0:127.0.0.1:{s.Port} :{counted}::"), s.Log);
        Assert.True(WaitFor(() => { using var h = new Held(counted, s.Port); return h.Line() == "hi\n"; }, 10000));
    }

    [Fact]
    public void BadLimitValuesAreIgnoredWithAWarning()
    {
        using var d = new TempDir();
        var cdb = Rules(d, ":allow,MAXCONNIP=\"x\",MAXCONNRATE=\"5\"\n");
        using var s = new Server(Ours("tcpserver"), $"-R -H -l0 -x {cdb}", "echo hi");
        Assert.Equal("hi\n", Server.Exchange(s.Port));
        Assert.True(s.WaitLog($"tcpserver: warning: ignoring MAXCONNIP of rule  in {cdb}: bad value\n"), s.Log);
    }

    /// <summary>Thousands of connections from ten addresses end every way (the program exits,
    /// crashes, is left by a client that resets, or is refused over the limit); then each
    /// address gets exactly -C connections again: every count is back to 0.</summary>
    [Fact]
    public void CountsNeverDrift()
    {
        const int perIp = 3, addresses = 10, total = 3000;
        const string program = "sh -c 'echo hi; read x; case $x in exit) echo bye;; crash) kill -SEGV $$;; *) exec cat >/dev/null;; esac'";
        using var s = new Server(Ours("tcpserver"), $"-v -c 200 -b 100 -R -H -l0 -C {perIp}", program);
        string From(int i) => "127.0.3." + (1 + i % addresses);
        int served = 0;
        Parallel.For(0, total, new ParallelOptions { MaxDegreeOfParallelism = 40 }, i =>
        {
            // a refused client tries again, so that every way of ending is taken total / 3 times
            // however many the load makes refused
            for (;;)
            {
                using var h = new Held(From(i), s.Port, new[] { "exit\n", "crash\n", "hold\n" }[i % 3]);
                if (Answer(h) != "hi\n") continue;
                Interlocked.Increment(ref served);
                if (i % 3 == 2) h.Reset();
                else Answer(h);
                return;
            }
        });
        Assert.Equal(total, served);
        Assert.True(WaitFor(() => s.Log.TrimEnd().EndsWith("status: 0/200"), 60000), s.Log[^300..]);
        Assert.Contains(" status 11\n", s.Log);
        var held = new List<Held>();
        for (int a = 0; a < addresses; a++)
        {
            for (int k = 0; k < perIp; k++) held.Add(Served(From(a), s.Port));
            Assert.Equal("", Refused(From(a), s.Port));
        }
        foreach (var h in held) h.Dispose();
    }

    /// <summary>A line, or "" when the server closed or reset the connection.</summary>
    static string Answer(Held h)
    {
        try { return h.Line(); }
        catch (IOException) { return ""; }
    }

    [Fact]
    public void CountsFollowStartsAndEnds()
    {
        var limits = new ConnectionLimits(Encoding.ASCII.GetBytes("2"));
        byte[] a = [10, 0, 0, 1], b = [10, 0, 0, 2], c = [10, 0, 1, 1];
        var none = new ConnectionLimits.Settings();
        var block = new ConnectionLimits.Settings();
        Assert.True(ConnectionLimits.Take(ref block, Encoding.ASCII.GetBytes("MAXCONNC"), Encoding.ASCII.GetBytes("3")));
        Assert.False(ConnectionLimits.Take(ref block, Encoding.ASCII.GetBytes("RELAYCLIENT"), []));
        limits.Started(100, a);
        limits.Started(101, a);
        Assert.Equal(ConnectionLimits.Limit.PerIp, limits.Admit(a, none));
        Assert.Equal(ConnectionLimits.Limit.None, limits.Admit(b, none));
        limits.Started(102, b);
        Assert.Equal(ConnectionLimits.Limit.MaxConnC, limits.Admit(b, block));
        Assert.Equal(ConnectionLimits.Limit.None, limits.Admit(c, block));
        Assert.Equal((3, 2, 1), limits.Counts);
        limits.Ended(100);
        limits.Ended(100);
        limits.Ended(999);
        Assert.Equal(ConnectionLimits.Limit.None, limits.Admit(a, none));
        limits.Ended(101);
        limits.Ended(102);
        Assert.Equal((0, 0, 0), limits.Counts);
        var v6 = new byte[16];
        v6[0] = 0x20;
        var v6b = (byte[])v6.Clone();
        v6b[7] = 1;
        var v6c = (byte[])v6.Clone();
        v6c[8] = 1;
        Assert.Equal(IpKey.Of(v6).Block, IpKey.Of(v6c).Block);
        Assert.NotEqual(IpKey.Of(v6).Block, IpKey.Of(v6b).Block);
        Assert.Equal(IpKey.Of(a), IpKey.Of(Ip.Mapped(a)));
    }

    [Fact]
    public void RateTableIsATokenBucketAndStaysBounded()
    {
        var table = new RateTable(capacity: 64);
        var key = IpKey.Of([10, 0, 0, 1]);
        long now = 1_000_000_000;
        for (int i = 0; i < 5; i++) Assert.True(table.Allow(key, 5, 2, now));
        Assert.False(table.Allow(key, 5, 2, now));
        Assert.False(table.Allow(key, 5, 2, now + 399_999));
        Assert.True(table.Allow(key, 5, 2, now + 400_000));
        Assert.False(table.Allow(key, 5, 2, now + 400_000));
        Assert.False(table.Allow(key, 0, 2, now));
        for (uint i = 0; i < 1000; i++)
        {
            Assert.True(table.Allow(IpKey.Of([11, (byte)(i >> 16), (byte)(i >> 8), (byte)i]), 1, 3600, now + i));
            Assert.True(table.Count <= 64);
        }
        // The oldest debts were forgiven first: the latest addresses are still refused.
        Assert.False(table.Allow(IpKey.Of([11, 0, 3, 231]), 1, 3600, now + 1000));
    }
}

// End to end: the qmail tree of Life with qmail, instantiated by `qmailctl setup` from the
// service templates into a scratch root, run by our svscan, with the qmail stand-ins; SMTP
// sessions from swaks, DNS from dnsmasq, control through qmailctl.
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public sealed class QmailTree : IDisposable
{
    public readonly TempDir Dir = new();
    public readonly string Qmail, Service, Logs, Rules;
    public readonly int SmtpPort, Pop3Port;
    readonly Process svscan;
    readonly DnsServer dns;

    public QmailTree()
    {
        Qmail = Dir["var/qmail"]; Service = Dir["service"]; Logs = Dir["var/log/qmail"]; Rules = Dir["etc/tcp.smtp"];
        SmtpPort = FreePort(); Pop3Port = FreePort();
        Directory.CreateDirectory(Path.Combine(Qmail, "bin"));
        foreach (var f in Directory.GetFiles(Path.Combine(Root, "tests/fixtures/qmail-bin")).Where(f => !f.EndsWith(".md")))
            File.Copy(f, Path.Combine(Qmail, "bin", Path.GetFileName(f)));
        Dir.Write("var/qmail/control/me", "test.localhost\n");
        Dir.Write("var/qmail/control/rcpthosts", "test.localhost\n");
        Dir.Write("etc/tcp.smtp", "127.0.0.2:allow,RELAYCLIENT=\"\"\n127.0.0.3:deny\n:allow\n");

        dns = new DnsServer("127.0.0.70", "--txt-record=4.0.0.127.rbl.test,listed in the test RBL");

        var setup = Run(Ours("qmailctl"), new[] { "setup", "--unprivileged", "--pop3", "--bin", Path.GetDirectoryName(Ours("svscan")),
            "--qmail", Qmail, "--service", Service, "--rules", Rules, "--log-dir", Logs,
            "--smtp-host", "127.0.0.1", "--smtp-port", SmtpPort.ToString(), "--pop3-host", "127.0.0.1",
            "--pop3-port", Pop3Port.ToString(), "--checkpassword", Path.Combine(Qmail, "bin/checkpassword"), "--rbl", "rbl.test" });
        if (setup.Exit != 0) throw new InvalidOperationException("setup failed: " + setup);

        var psi = new ProcessStartInfo("setsid", new[] { Ours("svscan"), Service })
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        psi.Environment["DNSCACHEIP"] = dns.Ip;
        psi.Environment["PATH"] = Path.GetDirectoryName(Ours("svscan")) + ":/usr/bin:/bin";
        svscan = Process.Start(psi)!;
        svscan.OutputDataReceived += (_, _) => { };
        svscan.ErrorDataReceived += (_, _) => { };
        svscan.BeginOutputReadLine();
        svscan.BeginErrorReadLine();
        if (!WaitFor(() => AllUp() && File.Exists(Path.Combine(Logs, "smtpd/current")) &&
                           File.ReadAllText(Path.Combine(Logs, "smtpd/current")).Contains("status: 0/20"), 30000))
        {
            var why = "tree did not come up: " + Qmailctl("stat").Out + Log("smtpd");
            Dispose();
            throw new InvalidOperationException(why);
        }
    }

    public static int FreePort()
    {
        var l = new TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        int p = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return p;
    }

    public bool AllUp() => new[] { "qmail-send", "qmail-smtpd", "qmail-pop3d" }
        .All(s => Svstat(s).Contains(": up ") && Svstat(s + "/log").Contains(": up "));

    public string Svstat(string service) => Run(Ours("svstat"), new[] { Path.Combine(Service, service) }).Out;

    public Result Qmailctl(params string[] args) =>
        Run(Ours("qmailctl"), new[] { "--service", Service, "--qmail", Qmail, "--rules", Rules, "--lock-dir", Dir["lock"] }.Concat(args).ToArray());

    /// <summary>Everything multilog kept in a log directory: the rotated files in order, then current.</summary>
    public string Log(string sub)
    {
        var dir = Path.Combine(Logs, sub);
        var files = Directory.GetFiles(dir, "@*").OrderBy(f => f, StringComparer.Ordinal).ToList();
        files.Add(Path.Combine(dir, "current"));
        return string.Concat(files.Where(File.Exists).Select(File.ReadAllText));
    }

    public Result Swaks(string from, string to, int port = 0, int timeoutMs = 20000) =>
        Run(Theirs("swaks"), new[] { "--server", "127.0.0.1", "--port", (port == 0 ? SmtpPort : port).ToString(), "--local-interface", from,
            "--from", "sender@example.com", "--to", to, "--timeout", "10", "--helo", "client.example" }, timeoutMs: timeoutMs);

    public void Dispose()
    {
        try
        {
            Run(Ours("svc"), new[] { "-dx" }.Concat(Directory.GetFileSystemEntries(Service).SelectMany(s => new[] { s, s + "/log" })).ToArray());
            WaitFor(() => Sh($"pgrep -g {svscan.Id} supervise").Out.Trim() == "", 10000);
        }
        finally
        {
            Sh($"/bin/kill -KILL -- -{svscan.Id}");
            svscan.WaitForExit(5000);
            dns.Dispose();
            Dir.Dispose();
        }
    }
}

[Collection("qmail tree")]
public class QmailTreeTests : IClassFixture<QmailTree>
{
    readonly QmailTree tree;
    public QmailTreeTests(QmailTree tree) { this.tree = tree; }

    static readonly string Stamp = "@4000000[0-9a-f]{17} ";

    [Fact]
    public void RelayingFollowsTheRules()
    {
        var relay = tree.Swaks("127.0.0.2", "someone@elsewhere.org");
        Assert.True(relay.Exit == 0, relay.ToString());
        Assert.Contains("\n<-  250 ok\n -> DATA", relay.Out);

        var refused = tree.Swaks("127.0.0.1", "someone@elsewhere.org");
        Assert.Contains("<** 553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)", refused.Out);
        var local = tree.Swaks("127.0.0.1", "user@test.localhost");
        Assert.True(local.Exit == 0, local.ToString());

        Assert.True(WaitFor(() => tree.Log("smtpd").Contains("qmail-smtpd: session from 127.0.0.2 RELAYCLIENT=set")));
        var log = tree.Log("smtpd");
        Assert.Contains("qmail-smtpd: session from 127.0.0.1 RELAYCLIENT=unset", log);
        Assert.Matches($"(?m)^{Stamp}tcpserver: ok [0-9]+ test.localhost:127.0.0.1:{tree.SmtpPort} :127.0.0.2::[0-9]+$", log);
        Assert.All(log.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.Matches("^" + Stamp, l));
    }

    [Fact]
    public void DeniedAddressGetsNoSession()
    {
        var denied = tree.Swaks("127.0.0.3", "user@test.localhost");
        Assert.NotEqual(0, denied.Exit);
        Assert.DoesNotContain("220 ", denied.Out);
        Assert.True(WaitFor(() => System.Text.RegularExpressions.Regex.IsMatch(tree.Log("smtpd"),
            $"(?m)^{Stamp}tcpserver: deny [0-9]+ test.localhost:127.0.0.1:{tree.SmtpPort} :127.0.0.3::[0-9]+$")));
        Assert.Matches($"(?m)^{Stamp}tcpserver: end [0-9]+ status 25600$", tree.Log("smtpd"));
    }

    [Fact]
    public void RblListedClientGets451()
    {
        var listed = tree.Swaks("127.0.0.4", "user@test.localhost");
        Assert.Contains("451 listed in the test RBL", listed.Out);
        Assert.True(WaitFor(() => tree.Log("smtpd").Contains("rblsmtpd: 127.0.0.4 pid ")));
        Assert.Matches($"(?m)^{Stamp}rblsmtpd: 127.0.0.4 pid [0-9]+: 451 listed in the test RBL$", tree.Log("smtpd"));
    }

    [Fact]
    public void QmailSendLogsThroughMultilog()
    {
        Assert.Matches($"(?m)^{Stamp}status: local 0/10 remote 0/20$", tree.Log(""));
    }

    [Fact]
    public void Pop3ChainAnswers()
    {
        var r = Sh($"printf 'USER demo\\r\\nPASS demo\\r\\nSTAT\\r\\nQUIT\\r\\n' | {Ours("tcpclient")} -RHl0 127.0.0.1 {tree.Pop3Port} sh -c 'cat >&7; cat <&6'");
        Assert.Contains("+OK 0 0\r\n", r.Out);
        Assert.True(WaitFor(() => tree.Log("pop3d").Contains("qmail-pop3d: demo logged in from 127.0.0.1")));
    }

    [Fact]
    public void QmailctlDrivesTheTree()
    {
        var stat = tree.Qmailctl("stat");
        var lines = stat.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(8, lines.Length);
        Assert.Matches($"^{tree.Service}/qmail-send: up \\(pid [0-9]+\\) [0-9]+ seconds$", lines[0]);
        Assert.Matches($"^{tree.Service}/qmail-smtpd/log: up \\(pid [0-9]+\\) [0-9]+ seconds$", lines[3]);
        Assert.Matches($"^{tree.Service}/qmail-pop3d/log: up ", lines[5]);
        Assert.Equal("messages in queue: 0", lines[6]);
        Assert.Equal("messages in queue but not yet preprocessed: 0", lines[7]);

        // stop: smtpd refuses connections; start brings it back
        var stop = tree.Qmailctl("stop");
        Assert.Equal("Stopping qmail...\n  qmail-smtpd\n  qmail-send\n  qmail-pop3d\n", stop.Out);
        Assert.True(WaitFor(() => tree.Svstat("qmail-smtpd").Contains(": down ") && tree.Svstat("qmail-send").Contains(": down ")));
        Assert.Throws<SocketException>(() => new TcpClient("127.0.0.1", tree.SmtpPort));
        Assert.Equal("Starting qmail\n", tree.Qmailctl("start").Out);
        Assert.True(WaitFor(tree.AllUp, 15000));
        Assert.True(WaitFor(() => CanConnect(tree.SmtpPort), 15000));

        // pause / cont
        Assert.Equal("Pausing qmail-send\nPausing qmail-smtpd\nPausing qmail-pop3d\n", tree.Qmailctl("pause").Out);
        Assert.True(WaitFor(() => tree.Svstat("qmail-send").Contains(", paused")));
        Assert.Equal("Continuing qmail-send\nContinuing qmail-smtpd\nContinuing qmail-pop3d\n", tree.Qmailctl("cont").Out);
        Assert.True(WaitFor(() => !tree.Svstat("qmail-send").Contains("paused")));

        // restart: qmail-send gets TERM and a new pid
        var before = Pid(tree.Svstat("qmail-send"));
        Assert.Equal("Restarting qmail:\n* Stopping qmail-smtpd.\n* Sending qmail-send SIGTERM and restarting.\n* Restarting qmail-smtpd.\n* Restarting qmail-pop3d.\n",
            tree.Qmailctl("restart").Out);
        Assert.True(WaitFor(() => Pid(tree.Svstat("qmail-send")) is int p && p != before && p != 0, 15000));
        Assert.True(WaitFor(() => tree.Log("").Contains("status: exiting")));
        Assert.True(WaitFor(tree.AllUp, 15000));

        // doqueue: ALRM; reload: HUP
        Assert.Equal("Flushing timeout table and sending ALRM signal to qmail-send.\n", tree.Qmailctl("doqueue").Out);
        Assert.True(WaitFor(() => tree.Log("").Contains("alrm: retrying deliveries now")));
        Assert.Equal("Sending HUP signal to qmail-send.\n", tree.Qmailctl("reload").Out);
        Assert.True(WaitFor(() => tree.Log("").Contains("hup: reread locals and virtualdomains")));
    }

    [Fact]
    public void CdbRebuildTakesEffectOnTheNextConnection()
    {
        Assert.True(WaitFor(() => CanConnect(tree.SmtpPort), 15000));
        var original = File.ReadAllText(tree.Rules);
        try
        {
            File.WriteAllText(tree.Rules, "127.0.0.5:deny\n" + original);
            var r = tree.Qmailctl("cdb");
            Assert.Equal($"Reloaded {tree.Rules}.\n", r.Out);
            Assert.Equal("644", Convert.ToString((int)File.GetUnixFileMode(tree.Rules + ".cdb"), 8));
            var denied = tree.Swaks("127.0.0.5", "user@test.localhost");
            Assert.DoesNotContain("220 ", denied.Out);
        }
        finally
        {
            File.WriteAllText(tree.Rules, original);
            tree.Qmailctl("cdb");
        }
        Assert.Contains("220 ", tree.Swaks("127.0.0.5", "user@test.localhost").Out);
    }

    [Fact]
    public void NoLogLineIsLostWhileTheLogServiceIsDown()
    {
        Assert.True(WaitFor(() => CanConnect(tree.SmtpPort), 15000));
        var log = Path.Combine(tree.Service, "qmail-smtpd/log");
        Run(Ours("svc"), new[] { "-d", log });
        Assert.True(WaitFor(() => tree.Svstat("qmail-smtpd/log").Contains(": down ")));
        // Each session logs about 300 bytes; 400 sessions overflow the 64 KiB pipe, so tcpserver
        // blocks on its log until the log service is back.
        const int sessions = 400;
        int answered = 0;
        var clients = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < sessions / 8; i++)
            {
                try
                {
                    using var c = new TcpClient();
                    c.ReceiveTimeout = 60000;
                    c.Connect("127.0.0.1", tree.SmtpPort);
                    var s = c.GetStream();
                    var buf = new byte[512];
                    if (s.Read(buf) > 0) Interlocked.Increment(ref answered);
                    s.Write("QUIT\r\n"u8);
                    while (s.Read(buf) > 0) { }
                }
                catch (Exception) { }
            }
        })).ToArray();
        // the server stalls once the pipe is full
        Assert.False(Task.WaitAll(clients, 3000));
        Run(Ours("svc"), new[] { "-u", log });
        Assert.True(Task.WaitAll(clients, 120000));
        Assert.Equal(sessions, answered);
        // every session tcpserver started is logged from "pid N from" to "end N", none twice
        bool Complete()
        {
            var text = tree.Log("smtpd");
            var started = System.Text.RegularExpressions.Regex.Matches(text, "tcpserver: pid ([0-9]+) from").Select(m => m.Groups[1].Value).ToList();
            var ended = System.Text.RegularExpressions.Regex.Matches(text, "tcpserver: end ([0-9]+) status").Select(m => m.Groups[1].Value).ToList();
            return started.Count >= sessions && started.ToHashSet().SetEquals(ended) && ended.Count == ended.Distinct().Count();
        }
        Assert.True(WaitFor(Complete, 30000), tree.Log("smtpd"));
    }

    static bool CanConnect(int port)
    {
        try { using var c = new TcpClient("127.0.0.1", port); return true; }
        catch (SocketException) { return false; }
    }

    static int? Pid(string svstat)
    {
        var m = System.Text.RegularExpressions.Regex.Match(svstat, @"\(pid ([0-9]+)\)");
        return m.Success ? int.Parse(m.Groups[1].Value) : 0;
    }
}

// qmailctl's command line and `qmailctl setup` in a scratch root (the subcommands that drive a
// running tree are tested end to end in QmailTreeTests).
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public class QmailctlTests
{
    const string UsageTail = " {start|stop|restart|doqueue|flush|reload|stat|pause|cont|cdb|queue|help}\n";

    [Theory]
    [InlineData()]
    [InlineData("bogus")]
    [InlineData("start", "extra")]
    [InlineData("--service")]
    public void UsageLineAndExit1(params string[] args)
    {
        var r = Run(Ours("qmailctl"), args);
        Assert.Equal(1, r.Exit);
        Assert.Equal("Usage: " + Ours("qmailctl") + UsageTail, r.Out);
    }

    [Fact]
    public void HelpIsLwqs()
    {
        var r = Run(Ours("qmailctl"), new[] { "help" });
        Assert.Equal(0, r.Exit);
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(13, lines.Length);
        Assert.Equal("stop -- stops mail service (smtp connections refused, nothing goes out)", lines[0]);
        Assert.Equal("hup -- same as reload", lines[12]);
    }

    [Fact]
    public void MissingQmailProgramsAreReportedNotCrashed()
    {
        using var t = new TempDir();
        var r = Run(Ours("qmailctl"), new[] { "queue", "--qmail", t["q"] });
        Assert.Equal(0, r.Exit);
        Assert.Equal($"qmailctl: warning: unable to run {t["q"]}/bin/qmail-qstat: file does not exist\n" +
                     $"qmailctl: warning: unable to run {t["q"]}/bin/qmail-qread: file does not exist\n", r.Err);
    }

    static Result Setup(TempDir t, params string[] extra) =>
        Run(Ours("qmailctl"), new[] { "setup", "--root", t.Path, "--unprivileged", "--bin", "/usr/local/bin" }.Concat(extra).ToArray());

    static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8);

    [Fact]
    public void SetupLaysOutLwqsTreeAndIsIdempotent()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["var/qmail/control"]);
        File.WriteAllText(t["var/qmail/control/rcpthosts"], "example.org\n");
        File.WriteAllText(t["var/qmail/control/me"], "mail.example.org\n");
        var first = Setup(t, "--pop3");
        Assert.True(first.Exit == 0, first.ToString());
        foreach (var s in new[] { "qmail-send", "qmail-smtpd", "qmail-pop3d" })
        {
            Assert.Equal("755", Mode(t[$"var/qmail/supervise/{s}/run"]));
            Assert.Equal("755", Mode(t[$"var/qmail/supervise/{s}/log/run"]));
            Assert.Equal($"/var/qmail/supervise/{s}", new FileInfo(t[$"service/{s}"]).LinkTarget);
        }
        Assert.Equal("755", Mode(t["var/qmail/rc"]));
        Assert.Equal("./Maildir/\n", File.ReadAllText(t["var/qmail/control/defaultdelivery"]));
        Assert.Equal("20\n", File.ReadAllText(t["var/qmail/control/concurrencyincoming"]));
        Assert.Equal("127.:allow,RELAYCLIENT=\"\"\n", File.ReadAllText(t["etc/tcp.smtp"]));
        Assert.Equal("644", Mode(t["etc/tcp.smtp.cdb"]));
        Assert.True(Directory.Exists(t["var/log/qmail/smtpd"]));
        Assert.True(Directory.Exists(t["var/log/qmail/pop3d"]));
        var smtpd = File.ReadAllText(t["var/qmail/supervise/qmail-smtpd/run"]);
        Assert.Contains("exec /usr/local/bin/softlimit -m 10000000 \\\n    /usr/local/bin/tcpserver -v -R -l \"$LOCAL\" -x /etc/tcp.smtp.cdb -c \"$MAXSMTPD\" \\\n        0 smtp /var/qmail/bin/qmail-smtpd 2>&1\n", smtpd);
        Assert.Equal("#!/bin/sh\nexec /var/qmail/rc\n", File.ReadAllText(t["var/qmail/supervise/qmail-send/run"]));
        Assert.Equal("#!/bin/sh\nexec /usr/local/bin/multilog t /var/log/qmail/smtpd\n", File.ReadAllText(t["var/qmail/supervise/qmail-smtpd/log/run"]));

        var snapshot = Snapshot(t.Path);
        var second = Setup(t, "--pop3");
        Assert.Equal(0, second.Exit);
        Assert.Equal("", second.Out);
        Assert.Equal(snapshot, Snapshot(t.Path));
    }

    [Fact]
    public void SetupAsRootUsesLwqsAccountsAndOwners()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["var/qmail/control"]);
        File.WriteAllText(t["var/qmail/control/rcpthosts"], "example.org\n");
        var r = Run(Ours("qmailctl"), new[] { "setup", "--root", t.Path, "--bin", "/usr/local/bin", "--qmaill", "nobody" });
        Assert.True(r.Exit == 0, r.ToString());
        Assert.Equal("#!/bin/sh\nexec /usr/local/bin/setuidgid nobody /usr/local/bin/multilog t /var/log/qmail\n",
            File.ReadAllText(t["var/qmail/supervise/qmail-send/log/run"]));
        Assert.Contains("-u \"$QMAILDUID\" -g \"$NOFILESGID\" 0 smtp", File.ReadAllText(t["var/qmail/supervise/qmail-smtpd/run"]));
        Assert.Equal("nobody", Sh($"stat -c %U {t["var/log/qmail"]} {t["var/log/qmail/smtpd"]} | sort -u").Out.Trim());
        var missing = Run(Ours("qmailctl"), new[] { "setup", "--root", t.Path, "--qmaill", "no-such-account" });
        Assert.Equal(111, missing.Exit);
        Assert.Equal("qmailctl: fatal: unknown account no-such-account\n", missing.Err);
    }

    [Fact]
    public void SetupPerIpPutsTcpserverCIntoBothSmtpdScripts()
    {
        foreach (var rbl in new[] { new string[0], new[] { "--rbl", "zen.example" } })
        {
            using var t = new TempDir();
            var r = Setup(t, [.. rbl, "--per-ip", "5"]);
            Assert.True(r.Exit == 1, r.ToString()); // no rcpthosts: installed, not linked
            Assert.Contains("-c \"$MAXSMTPD\" \\\n        -C 5 0 smtp ", File.ReadAllText(t["var/qmail/supervise/qmail-smtpd/run"]));
        }
        using var plain = new TempDir();
        Setup(plain);
        Assert.DoesNotContain("-C ", File.ReadAllText(plain["var/qmail/supervise/qmail-smtpd/run"]));
        using var bad = new TempDir();
        var b = Setup(bad, "--per-ip", "five");
        Assert.Equal(100, b.Exit);
        Assert.Equal("qmailctl: fatal: --per-ip takes a number: five\n", b.Err);
    }

    [Fact]
    public void SetupRefusesAnOpenRelay()
    {
        using var t = new TempDir();
        var r = Setup(t);
        Assert.Equal(1, r.Exit);
        Assert.Contains("No /var/qmail/control/rcpthosts!\nRefusing to start SMTP listener because it'll create an open relay\n", r.Out);
        Assert.True(File.Exists(t["service/qmail-send"]) || new FileInfo(t["service/qmail-send"]).LinkTarget != null);
        Assert.Null(new FileInfo(t["service/qmail-smtpd"]).LinkTarget);
    }

    [Fact]
    public void SetupKeepsAnAdminsRcAndRules()
    {
        using var t = new TempDir();
        t.Write("var/qmail/rc", "#!/bin/sh\n# mine\n");
        t.Write("etc/tcp.smtp", "10.:allow,RELAYCLIENT=\"\"\n");
        Setup(t);
        Assert.Equal("#!/bin/sh\n# mine\n", File.ReadAllText(t["var/qmail/rc"]));
        Assert.Equal("10.:allow,RELAYCLIENT=\"\"\n", File.ReadAllText(t["etc/tcp.smtp"]));
    }

    [Fact]
    public void SetupWithTlsPutsStarttlsdAndTlsdInFrontOfQmail()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["var/qmail/control"]);
        File.WriteAllText(t["var/qmail/control/rcpthosts"], "example.org\n");
        var first = Setup(t, "--pop3", "--tls", "/etc/ssl/mail.pem,/etc/ssl/mail.key");
        Assert.True(first.Exit == 0, first.ToString());
        const string certKey = "-c /etc/ssl/mail.pem -k /etc/ssl/mail.key";
        const string smtpd = "/usr/local/bin/softlimit -m 10000000 /var/qmail/bin/qmail-smtpd 2>&1\n";
        const string popup = "/usr/local/bin/softlimit -m 10000000 /var/qmail/bin/qmail-popup \\\n";
        var expected = new Dictionary<string, string>
        {
            ["qmail-smtpd"] = $"0 smtp /usr/local/bin/starttlsd -s smtp {certKey} {smtpd}",
            ["qmail-submission"] = $"0 587 /usr/local/bin/starttlsd -s smtp {certKey} {smtpd}",
            ["qmail-smtpsd"] = $"0 465 /usr/local/bin/tlsd {certKey} {smtpd}",
            ["qmail-pop3d"] = $"0 110 /usr/local/bin/starttlsd -s pop3 {certKey} {popup}",
            ["qmail-pop3sd"] = $"0 995 /usr/local/bin/tlsd {certKey} {popup}",
        };
        foreach (var (service, line) in expected)
        {
            var run = File.ReadAllText(t[$"var/qmail/supervise/{service}/run"]);
            Assert.Contains("exec /usr/local/bin/softlimit -m 30000000 \\\n", run);
            Assert.Contains(line, run);
            Assert.Equal($"/var/qmail/supervise/{service}", new FileInfo(t[$"service/{service}"]).LinkTarget);
            Assert.True(Directory.Exists(t["var/log/qmail/" + service["qmail-".Length..]]));
        }
        // The relay rules stay the same cdb on every SMTP port.
        Assert.Contains("-x /etc/tcp.smtp.cdb", File.ReadAllText(t["var/qmail/supervise/qmail-submission/run"]));
        Assert.Equal("#!/bin/sh\nexec /usr/local/bin/multilog t /var/log/qmail/smtpsd\n",
            File.ReadAllText(t["var/qmail/supervise/qmail-smtpsd/log/run"]));
        var snapshot = Snapshot(t.Path);
        Assert.Equal("", Setup(t, "--pop3", "--tls", "/etc/ssl/mail.pem,/etc/ssl/mail.key").Out);
        Assert.Equal(snapshot, Snapshot(t.Path));
    }

    [Theory]
    [InlineData(",key")]
    [InlineData("a,b,c")]
    [InlineData("cert,")]
    public void SetupRefusesABadTlsArgument(string tls)
    {
        using var t = new TempDir();
        var r = Setup(t, "--tls", tls);
        Assert.Equal(100, r.Exit);
        Assert.Equal("qmailctl: fatal: --tls takes CERT or CERT,KEY\n", r.Err);
    }

    static string Snapshot(string root) => string.Join("\n", Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
        .OrderBy(p => p).Select(p => new FileInfo(p).LinkTarget is string target ? $"{p} -> {target}"
            : $"{p} {Mode(p)} {File.GetLastWriteTimeUtc(p).Ticks} {(File.Exists(p) ? new FileInfo(p).Length : 0)}"));
}

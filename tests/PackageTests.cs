// The man pages (make man, from docs/ by go-md2man) and the Debian package (make deb).
using System.IO;
using System.Linq;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

/// <summary>The tests that run make on obj/man and obj/deb, one at a time.</summary>
[CollectionDefinition("make")]
public class MakeCollection { }

[Collection("make")]
public class PackageTests
{
    /// <summary>Runs make on its own, not as part of a make test's jobs.</summary>
    static string Make(string target)
    {
        var r = Sh($"env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -C {Root} {target}", timeoutMs: 300000);
        Assert.True(r.Exit == 0, r.ToString());
        return r.Out;
    }

    /// <summary>The package make deb builds (its name has the Makefile's VERSION), built afresh
    /// once: one built before the last commit has older time stamps.</summary>
    static readonly Lazy<string> Deb = new(() =>
    {
        var deb = Path.Combine(Root, Make("--eval 'print-deb: ; @echo $(DEB)' print-deb").Trim());
        File.Delete(deb);
        Make("deb");
        return deb;
    });

    static string Page(string name, int section) => Path.Combine(Root, "obj", "man", $"man{section}", $"{name}.{section}");

    [Fact]
    public void ManShowsThePagesNameAndUsage()
    {
        Make("man");
        var r = Sh($"MANWIDTH=80 man -l {Page("svc", 8)}");
        Assert.True(r.Exit == 0, r.ToString());
        Assert.Contains("NAME\n       svc - control services monitored by supervise\n", r.Out);
        Assert.Contains("SYNOPSIS\n              svc [ -udopchaitkx ] DIR ...\n", r.Out);
        Assert.Matches(@"\nSVC\(8\) +daemontools-cs +SVC\(8\)\n", "\n" + r.Out);
    }

    [Fact]
    public void EveryCommandHasAPageInDebiansSection()
    {
        Make("man");
        var commands = Directory.GetFiles(Path.Combine(Root, "command")).Select(Path.GetFileName).Where(c => c is not "toolkit" and not "tls").ToArray();
        Assert.Equal(41, commands.Length);
        foreach (var c in commands)
        {
            var pages = new[] { 1, 8 }.Where(s => File.Exists(Page(c, s))).ToArray();
            Assert.True(pages.Length == 1, $"{c}: {pages.Length} pages");
            // man's whatis parser finds the NAME line
            var whatis = Run("lexgrog", new[] { Page(c, pages[0]) });
            Assert.True(whatis.Exit == 0 && whatis.Out.Contains($": \"{c} - "), whatis.ToString());
        }
        // Debian's packages of the C programs put each page in the same section (cdbstats is not ours).
        var debian = Sh("dpkg -L daemontools ucspi-tcp freecdb | grep -E '^/usr/share/man/man[18]/.*\\.gz$'");
        Assert.True(debian.Exit == 0, "Debian's daemontools, ucspi-tcp and freecdb must be installed\n" + debian);
        foreach (var p in debian.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(p => !p.Contains("cdbstats")))
        {
            var name = Path.GetFileName(p)[..^3];
            Assert.True(File.Exists(Path.Combine(Root, "obj", "man", Path.GetFileName(Path.GetDirectoryName(p)), name)), p);
        }
    }

    [Fact]
    public void PackageHoldsTheCommandsPagesAndUnit()
    {
        var r = Run("dpkg-deb", new[] { "-c", Deb.Value });
        Assert.True(r.Exit == 0, r.ToString());
        Assert.Matches(@"(?m) \./usr/lib/daemontools-cs/toolkit$", r.Out);
        Assert.Matches(@"(?m) \./usr/bin/svscan -> \.\./lib/daemontools-cs/toolkit$", r.Out);
        Assert.Matches(@"(?m) \./usr/bin/tlsd -> \.\./lib/daemontools-cs/tls$", r.Out);
        Assert.Matches(@"(?m) \./usr/bin/starttlsd -> \.\./lib/daemontools-cs/tls$", r.Out);
        Assert.Matches(@"(?m) \./usr/share/man/man1/tlsd\.1\.gz$", r.Out);
        Assert.Matches(@"(?m)^-rwxr-xr-x root/root .* \./usr/bin/qmailctl$", r.Out);
        Assert.Matches(@"(?m) \./usr/bin/svscanboot$", r.Out);
        Assert.Matches(@"(?m) \./usr/share/man/man8/svc\.8\.gz$", r.Out);
        Assert.Matches(@"(?m) \./usr/share/man/man1/tcpserver\.1\.gz$", r.Out);
        Assert.Matches(@"(?m) \./lib/systemd/system/daemontools-run\.service$", r.Out);
        Assert.Matches(@"(?m)^drwxr-xr-x root/root .* \./etc/service/$", r.Out);
        Assert.Matches(@"(?m) \./usr/share/doc/daemontools-cs/copyright$", r.Out);

        var info = Run("dpkg-deb", new[] { "-f", Deb.Value, "Package", "Architecture", "Provides", "Conflicts", "Replaces", "Depends" });
        foreach (var field in new[] { "Provides", "Conflicts", "Replaces" })
            Assert.Contains($"{field}: daemontools, daemontools-run, freecdb, ucspi-tcp, ucspi-tcp-ipv6\n", info.Out);
        Assert.Contains("Package: daemontools-cs\nArchitecture: amd64\n", info.Out);
        // The TLS executable is the one that is dynamically linked, and loads the system's OpenSSL.
        Assert.Contains("Depends: libc6 (>= 2.34), libssl3\n", info.Out);
    }

    [Fact]
    public void CommandsRunFromTheUnpackedPackage()
    {
        using var t = new TempDir();
        var x = Run("dpkg-deb", new[] { "-x", Deb.Value, t["root"] });
        Assert.True(x.Exit == 0, x.ToString());
        var unit = File.ReadAllText(t["root/lib/systemd/system/daemontools-run.service"]);
        Assert.Contains("\nExecStart=/usr/bin/svscan /etc/service\n", unit);
        var boot = File.ReadAllText(t["root/usr/bin/svscanboot"]);
        Assert.Contains("PATH=/usr/bin:/command:", boot);
        Assert.Contains("svc -dx /etc/service/* /etc/service/*/log", boot);

        var bin = t["root/usr/bin"];
        Directory.CreateDirectory(t["service"]);
        t.Write("service/run", "#!/bin/sh\nexec sleep 300\n");
        Sh($"chmod 755 {t["service/run"]}");
        var start = Sh($"setsid {bin}/supervise {t["service"]} </dev/null >/dev/null 2>&1 & echo $!");
        int pid = int.Parse(start.Out.Trim());
        try
        {
            Assert.True(WaitFor(() => Run($"{bin}/svstat", new[] { t["service"] }).Out.Contains(": up (pid "), 15000),
                Run($"{bin}/svstat", new[] { t["service"] }).ToString());
            Assert.Equal(0, Run($"{bin}/svc", new[] { "-dx", t["service"] }).Exit);
            Assert.True(WaitFor(() => !Directory.Exists($"/proc/{pid}") || File.ReadAllText($"/proc/{pid}/stat").Contains(") Z "), 15000));
        }
        finally { Sh($"/bin/kill -KILL -- -{pid}"); }
    }

    [Fact]
    public void LintianFindsNoErrors()
    {
        var r = Run("lintian", new[] { Deb.Value }, timeoutMs: 300000);
        Assert.DoesNotMatch("(?m)^E: ", r.Out);
        Assert.True(r.Exit == 0, r.ToString());
    }

    [Fact]
    public void TheSameTreeGivesTheSamePackage()
    {
        using var t = new TempDir();
        Make($"deb DEB={t["again.deb"]}");
        Assert.Equal(File.ReadAllBytes(Deb.Value), File.ReadAllBytes(t["again.deb"]));
    }
}

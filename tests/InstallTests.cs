// make install / uninstall into a scratch DESTDIR, and svscanboot started as init would.
using System.IO;
using System.Linq;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

[Collection("make")]
public class InstallTests
{
    static readonly string[] Some = { "supervise", "svscan", "svc", "svstat", "setuidgid", "envdir", "softlimit", "qmailctl", "svscanboot",
        "tlsd", "starttlsd" };

    [Fact]
    public void InstallLikeDjbsPackageAndUninstall()
    {
        using var t = new TempDir();
        var r = Sh($"make -s -C {Root} install DESTDIR={t.Path} PREFIX=/opt/tk SERVICE=/srv/service 2>&1");
        Assert.True(r.Exit == 0, r.ToString());
        var executable = t["opt/tk/lib/daemontools-cs/toolkit"];
        Assert.Equal("755", Convert.ToString((int)File.GetUnixFileMode(executable), 8));
        Assert.Equal("755", Convert.ToString((int)File.GetUnixFileMode(t["opt/tk/lib/daemontools-cs/tls"]), 8));
        foreach (var c in Some)
        {
            var real = t[$"opt/tk/bin/{c}"];
            Assert.True(File.Exists(real), c);
            if (c is "svscanboot" or "qmailctl") Assert.Equal("755", Convert.ToString((int)File.GetUnixFileMode(real), 8));
            else Assert.Equal(c.EndsWith("tlsd") ? "../lib/daemontools-cs/tls" : "../lib/daemontools-cs/toolkit", new FileInfo(real).LinkTarget);
            Assert.Equal($"/opt/tk/bin/{c}", new FileInfo(t[$"command/{c}"]).LinkTarget);
            Assert.Equal($"/opt/tk/bin/{c}", new FileInfo(t[$"usr/local/bin/{c}"]).LinkTarget);
        }
        Assert.True(Directory.Exists(t["srv/service"]));
        var boot = File.ReadAllText(t["opt/tk/bin/svscanboot"]);
        Assert.Contains("PATH=/opt/tk/bin:/command:", boot);
        Assert.Contains("svc -dx /srv/service/* /srv/service/*/log", boot);
        Assert.Contains("env - PATH=$PATH svscan /srv/service 2>&1 | \\\nenv - PATH=$PATH readproctitle service errors: ....", boot);
        var unit = File.ReadAllText(t["etc/systemd/system/svscan.service"]);
        Assert.Contains("\nExecStart=/opt/tk/bin/svscan /srv/service\n", unit);
        Assert.Contains("\nEnvironment=PATH=/opt/tk/bin:/command:", unit);
        Assert.Contains("\nKillMode=process\n", unit);
        foreach (var page in new[] { "man8/svc.8.gz", "man8/qmailctl.8.gz", "man8/svscanboot.8.gz", "man1/tcpserver.1.gz", "man1/date@.1.gz", "man1/tlsd.1.gz", "man1/starttlsd.1.gz" })
        {
            var gz = t[$"opt/tk/share/man/{page}"];
            Assert.Equal("644", Convert.ToString((int)File.GetUnixFileMode(gz), 8));
            Assert.Contains("\n.TH ", Sh($"gzip -dc {gz}").Out);
        }
        Assert.Equal(41, Directory.GetFiles(t["opt/tk/share/man"], "*.gz", SearchOption.AllDirectories).Length);

        var u = Sh($"make -s -C {Root} uninstall DESTDIR={t.Path} PREFIX=/opt/tk SERVICE=/srv/service 2>&1");
        Assert.True(u.Exit == 0, u.ToString());
        Assert.Empty(Directory.GetFileSystemEntries(t["opt/tk/bin"]));
        Assert.False(Directory.Exists(t["opt/tk/lib/daemontools-cs"]));
        Assert.Empty(Directory.GetFileSystemEntries(t["usr/local/bin"]));
        Assert.Empty(Directory.GetFiles(t["opt/tk/share/man"], "*", SearchOption.AllDirectories));
        Assert.False(File.Exists(t["etc/systemd/system/svscan.service"]));
        Assert.True(Directory.Exists(t["srv/service"]));
    }

    [Fact]
    public void SvscanbootRunsTheTreeAndShowsErrorsInPs()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["prefix"]);
        File.CreateSymbolicLink(t["prefix/bin"], Path.GetDirectoryName(Ours("svscan")));
        Directory.CreateDirectory(t["service/hello"]);
        t.Write("service/hello/run", "#!/bin/sh\necho started > ../../hello.out\nexec sleep 300\n");
        Sh($"chmod 755 {t["service/hello/run"]}");
        File.CreateSymbolicLink(t["service/broken"], t["nowhere"]);
        Sh($"sed -e 's|@PREFIX@|{t["prefix"]}|g' -e 's|@SERVICE@|{t["service"]}|g' {Root}/daemontools/svscanboot.sh > {t["boot"]}; chmod 755 {t["boot"]}");
        var start = Sh($"setsid {t["boot"]} & echo $!");
        int pgid = int.Parse(start.Out.Trim());
        try
        {
            Assert.True(WaitFor(() => File.Exists(t["hello.out"]), 15000));
            Assert.True(WaitFor(() => Sh($"ps -o args= -g {pgid}").Out.Contains("readproctitle service errors: ...") &&
                                      Sh($"ps -o args= -g {pgid}").Out.Contains("unable to stat broken"), 15000),
                Sh($"ps -o args= -g {pgid}").Out);
            Assert.Contains(": up (pid ", Run(Ours("svstat"), new[] { t["service/hello"] }).Out);
        }
        finally
        {
            Sh($"/bin/kill -KILL -- -{pgid}");
        }
    }
}

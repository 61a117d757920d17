// Interoperation with Debian's daemontools 0.76: svc, svok and svstat against either
// supervise, the same texts and exit codes, and the lock shared by both supervises.
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public class SupervisionInteropTests
{
    static void Same(string tool, string[] args, string cwd = null)
    {
        var theirs = Run(Theirs(tool), args, cwd: cwd);
        var ours = Run(Ours(tool), args, cwd: cwd);
        Assert.Equal(theirs.ToString(), ours.ToString());
    }

    [Fact]
    public void UsageAndErrorTexts()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["plain"]);
        Same("svc", new string[0]);
        Same("svc", new[] { "-z", "x" });
        Same("svc", new[] { "-u", t["missing"], t["plain"], "." }, cwd: t.Path);
        Same("svok", new string[0]);
        Same("svok", new[] { t["missing"] });
        Same("svok", new[] { t["plain"] });
        Same("svstat", new string[0]);
        Same("supervise", new string[0]);
        Same("supervise", new[] { "a", "b" });
        Same("supervise", new[] { t["missing"] });
        Same("svscan", new[] { t["missing"] });
    }

    /// <summary>svstat and svok on every state a status file can describe, written by hand with a
    /// reader held on supervise/ok.</summary>
    [Fact]
    public void SvstatAndSvokReadEveryState()
    {
        using var tree = new Tree();
        var d = tree.Service("s", "exec sleep 1000");
        var sup = Path.Combine(d, "supervise");
        Directory.CreateDirectory(sup);
        var lines = new List<string>();

        void Check(string what)
        {
            string[] args = { d, "s", tree.Dir["missing"] };
            Assert.True(WaitFor(() => Run(Theirs("svstat"), args, cwd: tree.Dir.Path).Out ==
                                     Run(Ours("svstat"), args, cwd: tree.Dir.Path).Out, 5000), what);
            var theirs = Run(Theirs("svstat"), args, cwd: tree.Dir.Path);
            Assert.Equal(0, Run(Ours("svstat"), args, cwd: tree.Dir.Path).Exit);
            lines.Add(theirs.Out);
            var okTheirs = Run(Theirs("svok"), new[] { d });
            var okOurs = Run(Ours("svok"), new[] { d });
            Assert.Equal(okTheirs.ToString(), okOurs.ToString());
        }

        Check("no supervise directory contents");
        Sh($"mkfifo {sup}/ok");
        Check("ok without reader");
        tree.Start(sup, tree.Dir["hold.out"], "/bin/sh", "-c", "exec sleep 1000 <>ok");
        Assert.True(WaitFor(() => Run(Theirs("svok"), new[] { d }).Exit == 0));
        Check("no status file");
        File.WriteAllBytes(Path.Combine(sup, "status"), new byte[5]);
        Check("short status");
        foreach (var down in new[] { false, true })
        foreach (var pid in new[] { 0, 4242, 70000 })
        foreach (byte paused in new byte[] { 0, 1 })
        foreach (byte want in new byte[] { (byte)'u', (byte)'d', 0, (byte)'x' })
        foreach (long age in new long[] { 3, -100 })
        {
            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var s = new ServiceStatus { Seconds = Tai64.Epoch + (ulong)(now - age), Nanoseconds = 500, Pid = (uint)pid, Paused = paused, Want = want };
            var b = new byte[ServiceStatus.Size + (pid == 70000 ? 2 : 0)];
            s.Pack(b);
            File.WriteAllBytes(Path.Combine(sup, "status.tmp"), b);
            File.Move(Path.Combine(sup, "status.tmp"), Path.Combine(sup, "status"), true);
            if (down) File.WriteAllText(Path.Combine(d, "down"), ""); else File.Delete(Path.Combine(d, "down"));
            Check($"pid {pid} paused {paused} want {want} down {down}");
        }
        File.Delete(Path.Combine(d, "down"));
        File.CreateSymbolicLink(Path.Combine(d, "down"), "down");
        Check("down is a symlink loop");
        Assert.Contains(lines, l => l.Contains("up (pid 4242) 3 seconds, normally down, paused, want down") || l.Contains("up (pid 4242) 4 seconds, normally down, paused, want down"));
        Assert.Contains(lines, l => l.Contains("down 0 seconds, normally up, want up"));
        Assert.Contains(lines, l => l.Contains("unable to read supervise/status: bad format"));
        Assert.Contains(lines, l => l.Contains("unable to stat down: symbolic link loop"));
    }

    /// <summary>Writes DIR/supervise/status (and a plain supervise/ok, which svstat can open
    /// without a supervise) as supervise would.</summary>
    static void WriteStatus(string dir, ServiceStatus status)
    {
        var sup = Path.Combine(dir, "supervise");
        Directory.CreateDirectory(sup);
        File.WriteAllText(Path.Combine(sup, "ok"), "");
        var b = new byte[ServiceStatus.Size];
        status.Pack(b);
        File.WriteAllBytes(Path.Combine(sup, "status"), b);
    }

    /// <summary>An age beyond 2^53 seconds is printed through a double, as djb's tai_approx does.</summary>
    [Fact]
    public void SvstatRoundsHugeAgesAsDjbs()
    {
        using var t = new TempDir();
        var stamps = new ulong[] { 0, 1, 1UL << 53, (1UL << 62) - (1UL << 53) - 1, (1UL << 62) - (1UL << 52), ulong.MaxValue };
        for (int i = 0; i < stamps.Length; i++)
            WriteStatus(t[$"s{i}"], new ServiceStatus { Seconds = stamps[i], Pid = (uint)i, Want = (byte)'u' });
        var args = Enumerable.Range(0, stamps.Length).Select(i => $"s{i}").ToArray();
        Assert.True(WaitFor(() => Run(Theirs("svstat"), args, cwd: t.Path).Out == Run(Ours("svstat"), args, cwd: t.Path).Out, 5000),
            Run(Theirs("svstat"), args, cwd: t.Path).Out + Run(Ours("svstat"), args, cwd: t.Path).Out);
        Assert.StartsWith("s0: down 46116860", Run(Ours("svstat"), args, cwd: t.Path).Out);
    }

    /// <summary>The documented difference: a status that cannot be read is reported; djb's prints
    /// its buffer (zeros here, as the unsigned comparison takes the read's -1 for a full read).</summary>
    [Fact]
    public void SvstatReportsAnUnreadableStatus()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["s/supervise/status"]);
        File.WriteAllText(t["s/supervise/ok"], "");
        Assert.Matches(@"^s: down \d+ seconds, normally up\n$", Run(Theirs("svstat"), ["s"], cwd: t.Path).Out);
        Assert.Equal("s: unable to read supervise/status: is a directory\n", Run(Ours("svstat"), ["s"], cwd: t.Path).Out);
    }

    const string SignalRecorder =
        "trap 'echo ALRM >>../sig' ALRM\ntrap 'echo HUP >>../sig' HUP\ntrap 'echo INT >>../sig' INT\n" +
        "trap 'echo TERM >>../sig; exit 0' TERM\nwhile :; do sleep 0.1; done";

    /// <summary>Both supervises side by side, each driven by the other implementation's svc with every
    /// letter; after each step the status fields and svstat lines must agree.</summary>
    [Fact]
    public void EachSvcDrivesEachSupervise()
    {
        using var tree = new Tree();
        var a = tree.Service("a/s", SignalRecorder);
        var b = tree.Service("b/s", SignalRecorder);
        tree.Start(tree.Dir["a"], tree.Dir["a.out"], Ours("supervise"), "s");
        tree.Start(tree.Dir["b"], tree.Dir["b.out"], Theirs("supervise"), "s");
        Assert.True(WaitFor(() => Sv.Pid(a) > 0 && Sv.Pid(b) > 0));

        string Signals(string dir) => File.Exists(Path.Combine(dir, "../sig")) ? File.ReadAllText(Path.Combine(dir, "../sig")) : "";

        void Step(string letters, Func<string, bool> done)
        {
            Assert.Equal(0, Sv.Svc(Theirs("svc"), "-" + letters, a).Exit);
            Assert.Equal(0, Sv.Svc(Ours("svc"), "-" + letters, b).Exit);
            Assert.True(WaitFor(() => done(a) && done(b), 20000), $"after -{letters}: {Convert.ToHexString(Sv.Status(a))} {Convert.ToHexString(Sv.Status(b))}");
            var sa = Sv.Status(a); var sb = Sv.Status(b);
            Assert.Equal(18, sa.Length);
            Assert.Equal(sb[12..16].All(x => x == 0), sa[12..16].All(x => x == 0));
            Assert.Equal(sb[16..], sa[16..]);
            foreach (var dir in new[] { a, b })
                Assert.True(WaitFor(() => Run(Ours("svstat"), new[] { dir }).Out == Run(Theirs("svstat"), new[] { dir }).Out, 15000));
            Assert.True(WaitFor(() => Sv.Normalize(Run(Ours("svstat"), new[] { "s" }, cwd: tree.Dir["a"]).Out) ==
                                     Sv.Normalize(Run(Ours("svstat"), new[] { "s" }, cwd: tree.Dir["b"]).Out), 15000));
        }

        int pa = Sv.Pid(a), pb = Sv.Pid(b);
        Step("p", d => Sv.Status(d) is { Length: 18 } s && s[16] == 1);
        Step("c", d => Sv.Status(d) is { Length: 18 } s && s[16] == 0);
        Step("a", d => Signals(d).Contains("ALRM"));
        Step("h", d => Signals(d).Contains("HUP"));
        Step("i", d => Signals(d).Contains("INT"));
        Step("t", d => Sv.Pid(d) > 0 && Sv.Pid(d) != (d == a ? pa : pb));
        Step("d", d => Sv.Pid(d) == 0 && Sv.Status(d)[17] == 'd');
        Step("p", d => Sv.Status(d) is { Length: 18 } s && s[16] == 0);
        Step("o", d => Sv.Pid(d) > 0 && Sv.Status(d)[17] == 0);
        Step("k", d => Sv.Pid(d) == 0 && Sv.Status(d)[17] == 0);
        Step("u", d => Sv.Pid(d) > 0 && Sv.Status(d)[17] == 'u');
        Step("pd", d => Sv.Pid(d) == 0 && Sv.Status(d)[17] == 'd');
        Step("x", d => !Sv.Ok(Theirs("svok"), d) && !Sv.Ok(Ours("svok"), d));
        Assert.Equal(Run(Theirs("svstat"), new[] { "s" }, cwd: tree.Dir["b"]).Out, Run(Ours("svstat"), new[] { "s" }, cwd: tree.Dir["a"]).Out);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SupervisesExcludeEachOther(bool oursFirst)
    {
        using var tree = new Tree();
        var d = tree.Service("s", "exec sleep 1000");
        string first = oursFirst ? Ours("supervise") : Theirs("supervise");
        string second = oursFirst ? Theirs("supervise") : Ours("supervise");
        tree.Start(tree.Dir.Path, tree.Dir["out"], first, "s");
        Assert.True(WaitFor(() => Sv.Pid(d) > 0));
        var r = Run(second, new[] { "s" }, cwd: tree.Dir.Path);
        Assert.Equal("exit 111\n--- stdout\n\n--- stderr\nsupervise: fatal: unable to acquire s/supervise/lock: temporary failure\n", r.ToString());
    }

    /// <summary>What ./run sees: argv, descriptors, signal mask and dispositions, process group.</summary>
    [Fact]
    public void RunSeesTheSameWorldUnderBoth()
    {
        using var tree = new Tree();
        const string script = "exec >>../$WHO.out 2>&1\necho \"$0 $# $SV_TEST\"\nls /proc/self/fd\n" +
                              "grep -E '^Sig(Blk|Ign)' /proc/self/status\n[ \"$(ps -o pgid= -p $$)\" = \"$(ps -o pgid= -p $PPID)\" ] && echo same group\nexec sleep 1000";
        foreach (var who in new[] { "ours", "theirs" })
        {
            var d = tree.Service(who, script);
            tree.Start(tree.Dir.Path, tree.Dir[who + ".err"], new Dictionary<string, string> { ["WHO"] = who, ["SV_TEST"] = "x y" },
                who == "ours" ? Ours("supervise") : Theirs("supervise"), who);
            Assert.True(WaitFor(() => File.Exists(tree.Dir[who + ".out"]) && File.ReadAllText(tree.Dir[who + ".out"]).Contains("group")));
        }
        // Both pass on the signals their parent ignored (the test host ignores SIGPIPE).
        Assert.Equal(File.ReadAllText(tree.Dir["theirs.out"]), File.ReadAllText(tree.Dir["ours.out"]));
        Assert.Contains("./run 0 x y", File.ReadAllText(tree.Dir["ours.out"]));
    }

    /// <summary>Started with signals blocked and ignored, both restart ./run (they see it end) and
    /// run it with the same signal state. ./run is grep itself: a shell would reset CHLD.</summary>
    [Fact]
    public void RunSignalsMatchWhenStartedWithSignalsBlockedAndIgnored()
    {
        using var tree = new Tree();
        foreach (var who in new[] { "ours", "theirs" })
        {
            var run = Path.Combine(tree.Service(who, ""), "run");
            File.WriteAllText(run, "#!/usr/bin/env -S grep -h -E ^Sig(Blk|Ign) /proc/self/status\n");
            var output = tree.Dir[who + ".out"];
            tree.Start(tree.Dir.Path, output, [.. TamperedSignals(), who == "ours" ? Ours("supervise") : Theirs("supervise"), who]);
            Assert.True(WaitFor(() => File.Exists(output) && File.ReadAllLines(output).Length >= 4), who + " did not restart ./run");
        }
        Assert.Equal(File.ReadAllLines(tree.Dir["theirs.out"])[..4], File.ReadAllLines(tree.Dir["ours.out"])[..4]);
    }

    /// <summary>svscan passes the signal state it was started with to each supervise, and so to
    /// ./run, as Debian's does.</summary>
    [Fact]
    public void SvscanPassesItsSignalStateOn()
    {
        using var tree = new Tree();
        foreach (var who in new[] { "ours", "theirs" })
        {
            var root = tree.Dir[who];
            var run = Path.Combine(root, "a", "run");
            Directory.CreateDirectory(Path.GetDirectoryName(run));
            File.WriteAllText(run, "#!/usr/bin/env -S grep -h -E ^Sig(Blk|Ign) /proc/self/status\n");
            File.SetUnixFileMode(run, (UnixFileMode)0x1ed);
            var svscan = who == "ours" ? Ours("svscan") : Theirs("svscan");
            var output = tree.Dir[who + ".out"];
            tree.Start(root, output, new Dictionary<string, string> { ["PATH"] = Path.GetDirectoryName(svscan) + ":/usr/bin:/bin" },
                [.. TamperedSignals(), svscan, "."]);
            Assert.True(WaitFor(() => File.Exists(output) && File.ReadAllLines(output).Length >= 2));
        }
        Assert.Equal(File.ReadAllLines(tree.Dir["theirs.out"])[..2], File.ReadAllLines(tree.Dir["ours.out"])[..2]);
    }

    [Fact]
    public void RunNotExecutableSameMessage()
    {
        using var tree = new Tree();
        foreach (var who in new[] { "ours", "theirs" })
        {
            var d = tree.Service(who, "exit 0");
            File.SetUnixFileMode(Path.Combine(d, "run"), (UnixFileMode)0x1a4);
            tree.Start(tree.Dir.Path, tree.Dir[who + ".err"], who == "ours" ? Ours("supervise") : Theirs("supervise"), who);
            Assert.True(WaitFor(() => File.Exists(tree.Dir[who + ".err"]) && File.ReadAllLines(tree.Dir[who + ".err"]).Length >= 2));
        }
        Assert.Equal("supervise: fatal: unable to start theirs/run: access denied", File.ReadAllLines(tree.Dir["theirs.err"])[0]);
        Assert.Equal("supervise: fatal: unable to start ours/run: access denied", File.ReadAllLines(tree.Dir["ours.err"])[0]);
    }

    /// <summary>svscanboot is Debian's script with the install prefix first in PATH and /service.</summary>
    [Fact]
    public void SvscanbootIsDebiansScriptForTheInstallPrefix()
    {
        string Body(string text, string service) => string.Join("\n", text.Split('\n')
            .Where(l => !l.StartsWith("#") && !l.StartsWith("PATH=") && l.Trim() != "")).Replace(service, "SERVICE");
        var ours = File.ReadAllText(Ours("svscanboot"));
        Assert.Equal(Body(File.ReadAllText(Theirs("svscanboot")), "/etc/service"), Body(ours, "/service"));
        Assert.Matches("\nPATH=/[^\n]*/bin:/command:/usr/local/bin:/usr/local/sbin:/bin:/sbin:/usr/bin:/usr/sbin:/usr/X11R6/bin\n", ours);
    }
}

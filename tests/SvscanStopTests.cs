// svscan beyond 0.76: TERM and INT stop the whole tree (services first, each log once its
// input has ended), KILL after SVSCAN_STOP_TIMEOUT, HUP and ALRM rescan at once, and a
// restarted svscan adopts a running tree. Real trees, real signals; the loggers are Debian's
// multilog, which on TERM would leave what is still in its pipe unread.
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public class SvscanStopTests
{
    const int FlushLines = 300;

    /// <summary>svscan over tree.Dir["service"] in a process group of its own (killed with the
    /// tree), stderr into `err`; the Process gives its exit code.</summary>
    static Process Svscan(Tree tree, string err, IDictionary<string, string> env = null, string svscan = null)
    {
        svscan ??= Ours("svscan");
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = tree.Dir["service"] };
        foreach (var a in new[] { "-c", "exec setsid \"$0\" . </dev/null >/dev/null 2>>\"$1\"", svscan, err }) psi.ArgumentList.Add(a);
        // Each svscan with its own supervise.
        psi.Environment["PATH"] = Path.GetDirectoryName(svscan) + ":/usr/bin:/bin";
        if (env != null) foreach (var kv in env) psi.Environment[kv.Key] = kv.Value;
        var p = Process.Start(psi)!;
        tree.Adopt(p.Id);
        return p;
    }

    /// <summary>A service that prints "start NAME", and on TERM FlushLines lines and "last NAME",
    /// logged by Debian's multilog into NAME/log/main.</summary>
    static void LoggedService(Tree tree, string name, string onTerm = null)
    {
        tree.Service("service/" + name,
            $"echo start {name}\n" +
            (onTerm ?? $"trap 'i=0; while [ $i -lt {FlushLines} ]; do echo flush $i; i=$((i+1)); done; echo last {name}; exit 0' TERM\n") +
            "while :; do sleep 0.2; done");
        tree.Service($"service/{name}/log", "exec /usr/bin/multilog ./main");
    }

    static string Log(Tree tree, string name)
    {
        var f = tree.Dir[$"service/{name}/log/main/current"];
        return File.Exists(f) ? File.ReadAllText(f) : "";
    }

    static bool Up(string dir) => Sv.Ok(Ours("svok"), dir) && Sv.Pid(dir) > 0;

    /// <summary>Processes of the process group (svscan's tree), zombies included.</summary>
    static string[] Group(int pgid) =>
        Sh($"ps -eo pgid=,pid=,args= | awk '$1 == {pgid}'").Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    static bool Exited(Process p) => p.WaitForExit(0);

    /// <summary>The pid of `supervise arg` running in dir (other tests run supervises of the same names).</summary>
    static int SuperviseOf(string dir, string arg) =>
        Sv.Find("supervise", arg).Single(p => new DirectoryInfo($"/proc/{p}/cwd").LinkTarget == dir);

    static Tree Scratch()
    {
        var tree = new Tree();
        Directory.CreateDirectory(tree.Dir["service"]);
        return tree;
    }

    /// <summary>Sends svscan the signal; it must exit with code.</summary>
    static void Signal(Process svscan, string sig, int code)
    {
        Sh($"kill -{sig} {svscan.Id}");
        Assert.True(svscan.WaitForExit(60000), "svscan did not exit");
        Assert.Equal(code, svscan.ExitCode);
    }

    /// <summary>No process is left in the trees of these svscans.</summary>
    static void NothingLeft(params Process[] svscans) =>
        Assert.True(WaitFor(() => svscans.All(p => Group(p.Id).Length == 0)), string.Join("\n", svscans.SelectMany(p => Group(p.Id))));

    [Fact]
    public void TermStopsTwentyServicesAndEveryLogReadsItsServicesLastLine()
    {
        using var tree = Scratch();
        var names = Enumerable.Range(0, 20).Select(i => $"s{i}").ToArray();
        foreach (var n in names) LoggedService(tree, n);
        using var svscan = Svscan(tree, tree.Dir["svscan.err"]);
        Assert.True(WaitFor(() => names.All(n => Up(tree.Dir["service/" + n]) && Log(tree, n).Contains($"start {n}\n")), 60000),
            "the tree did not come up");

        Signal(svscan, "TERM", 0);
        Assert.Equal("", File.ReadAllText(tree.Dir["svscan.err"]));
        foreach (var n in names)
        {
            var log = Log(tree, n);
            Assert.EndsWith($"flush {FlushLines - 1}\nlast {n}\n", log);
            Assert.Equal(FlushLines, log.Split('\n').Count(l => l.StartsWith("flush ")));
        }
        NothingLeft(svscan);
    }

    [Fact]
    public void IntStopsTheTreeToo()
    {
        using var tree = Scratch();
        LoggedService(tree, "a");
        tree.Service("service/plain", "exec sleep 1000");
        using var svscan = Svscan(tree, tree.Dir["svscan.err"]);
        Assert.True(WaitFor(() => Up(tree.Dir["service/a"]) && Up(tree.Dir["service/plain"]) && Log(tree, "a").Contains("start a\n"), 30000));
        Signal(svscan, "INT", 0);
        Assert.EndsWith("last a\n", Log(tree, "a"));
        NothingLeft(svscan);
    }

    /// <summary>With CHLD ignored the kernel collects svscan's children: it must watch them
    /// another way.</summary>
    [Fact]
    public void TermStopsATreeWhoseSvscanStartedWithChldIgnored()
    {
        using var tree = Scratch();
        LoggedService(tree, "a");
        var wrapper = tree.Dir["chld-ignored"];
        File.WriteAllText(wrapper, $"#!/usr/bin/perl\n$SIG{{CHLD}} = 'IGNORE'; exec '{Ours("svscan")}', @ARGV or die;\n");
        File.SetUnixFileMode(wrapper, (UnixFileMode)0x1ed);
        using var svscan = Svscan(tree, tree.Dir["svscan.err"], svscan: wrapper,
            env: new Dictionary<string, string> { ["PATH"] = Path.GetDirectoryName(Ours("supervise")) + ":/usr/bin:/bin" });
        Assert.True(WaitFor(() => Up(tree.Dir["service/a"]) && Log(tree, "a").Contains("start a\n"), 30000));
        Signal(svscan, "TERM", 0);
        Assert.EndsWith("last a\n", Log(tree, "a"));
        NothingLeft(svscan);
    }

    [Fact]
    public void AServiceIgnoringTermIsKilledAfterTheBoundAndNamed()
    {
        using var tree = Scratch();
        LoggedService(tree, "polite");
        LoggedService(tree, "stubborn", onTerm: "trap '' TERM\n");
        using var svscan = Svscan(tree, tree.Dir["svscan.err"], new Dictionary<string, string> { ["SVSCAN_STOP_TIMEOUT"] = "1500" });
        Assert.True(WaitFor(() => Up(tree.Dir["service/polite"]) && Up(tree.Dir["service/stubborn"]) &&
            Log(tree, "stubborn").Contains("start stubborn\n"), 30000));

        Signal(svscan, "TERM", 111);
        Assert.Equal("svscan: fatal: killed what still ran after the time allowed for stopping: stubborn\n",
            File.ReadAllText(tree.Dir["svscan.err"]));
        Assert.EndsWith("last polite\n", Log(tree, "polite"));
        // The killed service's log was not killed: it read its input to the end and exited.
        Assert.EndsWith("start stubborn\n", Log(tree, "stubborn"));
        NothingLeft(svscan);
    }

    /// <summary>A removed directory takes the supervise's FIFOs and status with it: svscan
    /// cannot tell it to stop, and kills it and what it runs at the bound.</summary>
    [Fact]
    public void AServiceWhoseDirectoryWasRemovedIsKilledAtTheBound()
    {
        using var tree = Scratch();
        tree.Service("service/kept", "exec sleep 1000");
        tree.Service("service/removed", "exec sleep 1001");
        using var svscan = Svscan(tree, tree.Dir["svscan.err"], new Dictionary<string, string> { ["SVSCAN_STOP_TIMEOUT"] = "1000" });
        Assert.True(WaitFor(() => Up(tree.Dir["service/kept"]) && Up(tree.Dir["service/removed"]), 30000));
        Directory.Delete(tree.Dir["service/removed"], true);
        Signal(svscan, "TERM", 111);
        Assert.Equal("svscan: fatal: killed what still ran after the time allowed for stopping: removed\n",
            File.ReadAllText(tree.Dir["svscan.err"]));
        NothingLeft(svscan);
    }

    [Fact]
    public void HupAndAlrmScanAtOnce()
    {
        using var tree = Scratch();
        // A dangling link makes every scan print one warning: the warnings count the scans.
        File.CreateSymbolicLink(tree.Dir["service/dangling"], tree.Dir["nowhere"]);
        using var svscan = Svscan(tree, tree.Dir["svscan.err"]);
        string[] Warnings() => File.Exists(tree.Dir["svscan.err"]) ? File.ReadAllLines(tree.Dir["svscan.err"]) : [];
        Assert.True(WaitFor(() => Warnings().Length >= 1, 30000));
        var sw = Stopwatch.StartNew();
        foreach (var sig in new[] { "HUP", "ALRM", "HUP", "ALRM", "HUP" })
        {
            int before = Warnings().Length;
            Sh($"kill -{sig} {svscan.Id}");
            Assert.True(WaitFor(() => Warnings().Length > before, 30000), sig + " did not make svscan scan");
        }
        // Left to itself, svscan would have needed 25 seconds for five more scans.
        Assert.True(sw.ElapsedMilliseconds < 20000, $"five scans took {sw.ElapsedMilliseconds} ms");
        Assert.False(Exited(svscan));
        Assert.All(Warnings(), l => Assert.Equal("svscan: warning: unable to stat dangling: file does not exist", l));
    }

    /// <summary>The tree left behind is ours or Debian's (svscan and supervise).</summary>
    [Theory]
    [InlineData("ours")]
    [InlineData("debian")]
    public void ARestartedSvscanAdoptsTheTreeQuietlyRestartsWhatDiesAndStopsItAll(string left)
    {
        using var tree = Scratch();
        var names = Enumerable.Range(0, 5).Select(i => $"s{i}").ToArray();
        foreach (var n in names) LoggedService(tree, n);
        tree.Service("service/plain", "exec sleep 1000");
        using var first = Svscan(tree, tree.Dir["first.err"], svscan: left == "ours" ? Ours("svscan") : Theirs("svscan"));
        Assert.True(WaitFor(() => names.All(n => Up(tree.Dir["service/" + n]) && Log(tree, n).Contains($"start {n}\n")) &&
            Up(tree.Dir["service/plain"]), 60000));
        var runs = names.Append("plain").ToDictionary(n => n, n => Sv.Pid(tree.Dir["service/" + n]));
        Sh($"kill -KILL {first.Id}");
        Assert.True(first.WaitForExit(10000));

        // Two scans proven by services that appear (each scan would have warned about every
        // lock); the first also proves that svscan catches HUP by now.
        tree.Service("service/probe1", "exec sleep 1000");
        using var second = Svscan(tree, tree.Dir["second.err"]);
        Assert.True(WaitFor(() => Up(tree.Dir["service/probe1"]), 30000));
        tree.Service("service/probe2", "exec sleep 1000");
        Sh($"kill -HUP {second.Id}");
        Assert.True(WaitFor(() => Up(tree.Dir["service/probe2"]), 30000));
        Assert.Equal("", File.ReadAllText(tree.Dir["second.err"]));
        foreach (var (n, pid) in runs) Assert.Equal(pid, Sv.Pid(tree.Dir["service/" + n]));

        // The supervise of s0 and its ./run die: the new svscan starts another, writing into the old log.
        string s0 = tree.Dir["service/s0"];
        int supervise = SuperviseOf(s0, "s0");
        Sh($"kill -KILL {supervise} {runs["s0"]}");
        Sh($"kill -ALRM {second.Id}");
        Assert.True(WaitFor(() => Up(s0) && Sv.Pid(s0) != runs["s0"] &&
            Log(tree, "s0").Split('\n').Count(l => l == "start s0") == 2, 30000), Log(tree, "s0"));
        // The log of s1 dies, supervise and logger: the new svscan starts another, reading the
        // old pipe (its service's last line, below, comes through it).
        string log1 = tree.Dir["service/s1/log"];
        int logger = Sv.Pid(log1);
        int logSupervise = SuperviseOf(log1, "log");
        Sh($"kill -KILL {logSupervise} {logger}");
        Sh($"kill -ALRM {second.Id}");
        Assert.True(WaitFor(() => Up(log1) && Sv.Pid(log1) != logger, 30000));

        Signal(second, "TERM", 0);
        Assert.Equal("", File.ReadAllText(tree.Dir["second.err"]));
        foreach (var n in names) Assert.EndsWith($"last {n}\n", Log(tree, n));
        NothingLeft(first, second);
    }
}

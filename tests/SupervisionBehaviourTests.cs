// Behaviour of our supervise and svscan in scratch directories, and their reliability under
// abuse. Every process tree is killed at the end of its test.
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public class SupervisionBehaviourTests
{
    static string Svc => Ours("svc");

    static (Tree, string) Supervised(string script, bool down = false)
    {
        var tree = new Tree();
        var d = tree.Service("s", script, down);
        tree.Start(tree.Dir.Path, tree.Dir["err"], Ours("supervise"), "s");
        Assert.True(WaitFor(() => Sv.Ok(Ours("svok"), d)));
        return (tree, d);
    }

    [Fact]
    public void DownFileThenUp()
    {
        var (tree, d) = Supervised("exec sleep 1000", down: true);
        using var _ = tree;
        Assert.True(WaitFor(() => Sv.Status(d).Length == 18));
        Assert.Equal(0, Sv.Pid(d));
        Assert.Equal((byte)'d', Sv.Status(d)[17]);
        Sv.Svc(Svc, "-u", d);
        Assert.True(WaitFor(() => Sv.Pid(d) > 0));
        Assert.Matches(@"^.*: up \(pid \d+\) \d+ seconds, normally down\n$", Run(Ours("svstat"), new[] { d }).Out);
    }

    [Fact]
    public void RunExitingAtOnceIsRestartedAboutOncePerSecond()
    {
        var (tree, d) = Supervised("echo x >>../count");
        using var _ = tree;
        int Count() => File.Exists(tree.Dir["count"]) ? File.ReadAllLines(tree.Dir["count"]).Length : 0;
        // Counted from what has already run (a loaded machine may have run it more than once by
        // now): the first start after this may come at once, the next three each after a pause.
        var sw = Stopwatch.StartNew();
        int before = Count();
        Assert.True(WaitFor(() => Count() >= before + 4, 20000));
        Assert.True(sw.ElapsedMilliseconds >= 2500, $"{Count() - before} starts in {sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void OnceThenExitWhenDown()
    {
        var (tree, d) = Supervised("sleep 0.5; echo ran >>../log", down: true);
        using var _ = tree;
        Sv.Svc(Svc, "-o", d);
        Assert.True(WaitFor(() => File.Exists(tree.Dir["log"])));
        Assert.True(WaitFor(() => Sv.Pid(d) == 0));
        Assert.Equal(0, Sv.Status(d)[17]);
        Sv.Svc(Svc, "-x", d);
        Assert.True(WaitFor(() => !Sv.Ok(Ours("svok"), d)));
        Assert.Single(File.ReadAllLines(tree.Dir["log"]));
    }

    [Fact]
    public void DownStopsAPausedService()
    {
        var (tree, d) = Supervised("exec sleep 1000");
        using var _ = tree;
        Assert.True(WaitFor(() => Sv.Pid(d) > 0));
        int pid = Sv.Pid(d);
        Sv.Svc(Svc, "-p", d);
        Assert.True(WaitFor(() => File.ReadAllText($"/proc/{pid}/status").Contains("State:\tT")));
        Sv.Svc(Svc, "-d", d);
        Assert.True(WaitFor(() => Sv.Pid(d) == 0 && !Sv.Alive(pid)));
    }

    [Fact]
    public void KillStopsAServiceThatIgnoresTerm()
    {
        var (tree, d) = Supervised("trap '' TERM\nexec sleep 1000");
        using var _ = tree;
        Assert.True(WaitFor(() => Sv.Pid(d) > 0));
        int pid = Sv.Pid(d);
        Sv.Svc(Svc, "-d", d);
        Assert.True(WaitFor(() => Sv.Status(d)[17] == 'd'));
        Sv.Svc(Svc, "-t", d);
        Assert.Equal(pid, Sv.Pid(d));
        Assert.True(Sv.Alive(pid));
        Sv.Svc(Svc, "-k", d);
        Assert.True(WaitFor(() => Sv.Pid(d) == 0));
    }

    [Fact]
    public void RelativeDotAndSeveralDirectories()
    {
        using var tree = new Tree();
        var a = tree.Service("a", "exec sleep 1000", down: true);
        var b = tree.Service("b", "exec sleep 1000", down: true);
        tree.Start(tree.Dir.Path, tree.Dir["a.err"], Ours("supervise"), "a");
        tree.Start(tree.Dir.Path, tree.Dir["b.err"], Ours("supervise"), "b");
        Assert.True(WaitFor(() => Sv.Ok(Ours("svok"), a) && Sv.Ok(Ours("svok"), b)));
        Assert.Equal(0, Run(Svc, new[] { "-u", "a", "b" }, cwd: tree.Dir.Path).Exit);
        Assert.True(WaitFor(() => Sv.Pid(a) > 0 && Sv.Pid(b) > 0));
        Assert.Equal(0, Run(Svc, new[] { "-d", "." }, cwd: a).Exit);
        Assert.True(WaitFor(() => Sv.Pid(a) == 0));
        Assert.True(Sv.Pid(b) > 0);
    }

    [Fact]
    public void SurvivesKill9OfTheServiceJunkOnControlAndATruncatedStatus()
    {
        var (tree, d) = Supervised("exec sleep 1000");
        using var _ = tree;
        var rng = new Random(76);
        for (int i = 0; i < 6; i++)
        {
            Assert.True(WaitFor(() => Sv.Pid(d) > 0));
            int pid = Sv.Pid(d);
            Thread.Sleep(rng.Next(0, 300));
            Sh($"kill -9 {pid}");
            Assert.True(WaitFor(() => Sv.Pid(d) > 0 && Sv.Pid(d) != pid));
        }
        var junk = Enumerable.Range(0, 256).Select(x => (byte)x).Where(x => !"udoahktipcx".Contains((char)x)).ToArray();
        using (var control = new FileStream(Path.Combine(d, "supervise/control"), FileMode.Open, FileAccess.Write))
            for (int i = 0; i < 8; i++) control.Write(junk);
        File.WriteAllBytes(Path.Combine(d, "supervise/status"), new byte[3]);
        Assert.EndsWith("unable to read supervise/status: bad format\n", Run(Ours("svstat"), new[] { d }).Out);
        Sv.Svc(Svc, "-d", d);
        Assert.True(WaitFor(() => Sv.Status(d).Length == 18 && Sv.Pid(d) == 0, 15000));
        Sv.Svc(Svc, "-u", d);
        Assert.True(WaitFor(() => Sv.Pid(d) > 0));
    }

    static (Tree, int) Scanning(Action<Tree> setup)
    {
        var tree = new Tree();
        Directory.CreateDirectory(tree.Dir["service"]);
        setup(tree);
        var env = new Dictionary<string, string> { ["PATH"] = Path.GetDirectoryName(Ours("supervise")) + ":/usr/bin:/bin" };
        int pid = tree.Start(tree.Dir["service"], tree.Dir["svscan.err"], env, Ours("svscan"));
        return (tree, pid);
    }

    [Fact]
    public void SvscanPicksUpSymlinksSkipsDotEntriesAndWarns()
    {
        var (tree, _) = Scanning(t =>
        {
            t.Service("service/first", "exec sleep 1000");
            t.Service("service/.hidden", "exec sleep 1000");
            File.CreateSymbolicLink(t.Dir["service/dangling"], t.Dir["nowhere"]);
            File.WriteAllText(t.Dir["service/file"], "");
        });
        using var _ = tree;
        Assert.True(WaitFor(() => Sv.Pid(tree.Dir["service/first"]) > 0));
        var later = tree.Service("later", "exec sleep 1000");
        File.CreateSymbolicLink(tree.Dir["service/later"], later);
        Assert.True(WaitFor(() => Sv.Pid(later) > 0, 15000));
        Assert.False(Directory.Exists(tree.Dir["service/.hidden/supervise"]));
        Assert.Contains("svscan: warning: unable to stat dangling: file does not exist\n", File.ReadAllText(tree.Dir["svscan.err"]));
    }

    [Fact]
    public void SvscanRestartsAKilledSuperviseAndLeavesARemovedServiceAlone()
    {
        var (tree, _) = Scanning(t =>
        {
            t.Service("service/a", "exec sleep 1000");
            t.Service("service/b", "exec sleep 1000");
        });
        using var _ = tree;
        string a = tree.Dir["service/a"], b = tree.Dir["service/b"];
        Assert.True(WaitFor(() => Sv.Pid(a) > 0 && Sv.Pid(b) > 0));
        var sa = Sv.Find("supervise", "a").Single();
        Sh($"kill -9 {sa}");
        Assert.True(WaitFor(() => Sv.Find("supervise", "a").Any(p => p != sa) && Sv.Ok(Ours("svok"), a), 15000));

        var sb = Sv.Find("supervise", "b").Single();
        int runB = Sv.Pid(b);
        Directory.Move(b, tree.Dir["moved-b"]);
        tree.Service("service/c", "exec sleep 1000");
        Assert.True(WaitFor(() => Sv.Pid(tree.Dir["service/c"]) > 0, 15000));
        Assert.True(Sv.Alive(sb) && Sv.Alive(runB));
    }

    [Fact]
    public void SvscanRetriesARunThatIsNotExecutable()
    {
        var (tree, _) = Scanning(t =>
        {
            var d = t.Service("service/s", "exit 0");
            File.SetUnixFileMode(Path.Combine(d, "run"), (UnixFileMode)0x1a4);
        });
        using var _ = tree;
        Assert.True(WaitFor(() => File.Exists(tree.Dir["svscan.err"]) &&
            File.ReadAllLines(tree.Dir["svscan.err"]).Count(l => l == "supervise: fatal: unable to start s/run: access denied") >= 2));
    }

    const string Logger =
        "exec /usr/bin/python3 -c '\nimport os, signal\nstop = []\nsignal.signal(signal.SIGTERM, lambda *a: stop.append(1))\n" +
        "fd = os.open(\"../../../log.txt\", os.O_WRONLY | os.O_APPEND | os.O_CREAT)\nwhile not stop:\n    d = os.read(0, 65536)\n" +
        "    if not d: break\n    os.write(fd, d)\n'";

    [Fact]
    public void SvscanPairsALogAndLosesNothingWhileTheLogRestarts()
    {
        const int N = 3000;
        var (tree, _) = Scanning(t =>
        {
            t.Service("service/s", "[ -f ../../done ] && exec sleep 1000\ni=0\nwhile [ $i -lt " + N + " ]; do echo $i; i=$((i+1)); " +
                                   "[ $((i % 100)) = 0 ] && sleep 0.05; done\ntouch ../../done\nexec sleep 1000", down: false);
            t.Service("service/s/log", Logger);
        });
        using var _ = tree;
        string log = tree.Dir["service/s/log"];
        Assert.True(WaitFor(() => Sv.Pid(log) > 0, 15000));
        for (int i = 0; i < 8 && !File.Exists(tree.Dir["done"]); i++)
        {
            int before = Sv.Pid(log);
            Sv.Svc(Svc, "-t", log);
            Assert.True(WaitFor(() => Sv.Pid(log) > 0 && Sv.Pid(log) != before || File.Exists(tree.Dir["done"])));
        }
        string[] Lines() => File.Exists(tree.Dir["log.txt"]) ? File.ReadAllLines(tree.Dir["log.txt"]) : Array.Empty<string>();
        Assert.True(WaitFor(() => Lines().Length >= N, 30000), $"{Lines().Length} lines");
        Assert.Equal(Enumerable.Range(0, N).Select(i => i.ToString()), Lines());
    }

    [Fact]
    public void SvscanRunsTwoHundredServices()
    {
        const int N = 200;
        var (tree, _) = Scanning(t =>
        {
            for (int i = 0; i < N; i++) t.Service($"service/s{i}", "exec sleep 1000");
        });
        using var _ = tree;
        Assert.True(WaitFor(() => Enumerable.Range(0, N).All(i => Sv.Pid(tree.Dir[$"service/s{i}"]) > 0), 60000));
    }
}

// The opt-in files of a service directory (finish, notification-fd, restart-backoff,
// down-signal, timeout-kill, timeout-finish), a supervise that replaces one killed with KILL,
// svstat -j and -p, and svwait; with real processes and signals, waiting on conditions.
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public class SupervisionFeatureTests
{
    static string Svc => Ours("svc");
    static string Svstat(string dir) => Run(Ours("svstat"), new[] { dir }).Out;
    static Result Svwait(params string[] args) => Run(Ours("svwait"), args);

    /// <summary>A service "s" with the given run script and extra files, under our supervise.</summary>
    static (Tree, string) Supervised(string run, Dictionary<string, string> files = null, string supervise = null)
    {
        var tree = new Tree();
        var d = tree.Service("s", run);
        foreach (var (name, content) in files ?? new())
            if (content.StartsWith("#!")) Sv.WriteScript(Path.Combine(d, name), content[2..]);
            else File.WriteAllText(Path.Combine(d, name), content);
        tree.Start(tree.Dir.Path, tree.Dir["err"], supervise ?? Ours("supervise"), "s");
        Assert.True(WaitFor(() => Sv.Ok(Ours("svok"), d)));
        return (tree, d);
    }

    /// <summary>Supervised, once ./run has become `sleep`: with its pid.</summary>
    static (Tree, string, int) Running(string run, Dictionary<string, string> files)
    {
        var (tree, d) = Supervised(run, files);
        Assert.True(WaitFor(() => Sv.Pid(d) > 0 && ReadOr($"/proc/{Sv.Pid(d)}/cmdline").StartsWith("sleep\0")));
        return (tree, d, Sv.Pid(d));
    }

    /// <summary>The processes with this command line working in dir: other tests run trees of
    /// their own, with the same names.</summary>
    static int[] Mine(string dir, params string[] argv) => Sv.Find(argv).Where(p =>
    {
        try { return new DirectoryInfo($"/proc/{p}/cwd").LinkTarget == dir; } catch (IOException) { return false; }
    }).ToArray();

    static string Script(string body) => "#!" + body;

    static ServiceStatus Status(string d) => ServiceStatus.Unpack(Sv.Status(d));

    static string ReadOr(string path) => File.Exists(path) ? File.ReadAllText(path) : "";

    [Fact]
    public void FinishGetsTheExitCodeAndTheSignalAndRunsBeforeTheRestart()
    {
        var (tree, d) = Supervised("echo run >>../log\n[ -f ../crash ] && exec sleep 1000\nexit 3",
            new() { ["finish"] = Script("echo \"finish $1 $2\" >>../log\nwhile [ -f ../hold ]; do sleep 0.05; done") });
        using var _ = tree;
        string log = tree.Dir["log"];
        Assert.True(WaitFor(() => ReadOr(log).Contains("finish 3 0\nrun\n")));

        File.WriteAllText(tree.Dir["crash"], "");
        Assert.True(WaitFor(() => Sv.Pid(d) > 0 && ReadOr(log).EndsWith("run\n") && Sv.Alive(Sv.Pid(d)) &&
                                  File.ReadAllText($"/proc/{Sv.Pid(d)}/cmdline").StartsWith("sleep")));
        File.WriteAllText(tree.Dir["hold"], "");
        Sv.Svc(Svc, "-k", d);
        Assert.True(WaitFor(() => ReadOr(log).EndsWith("finish -1 9\n")));
        // While ./finish runs the service is down, and finishing.
        Assert.Matches(@"^s: down \d+ seconds, finishing, normally up, want up\n$", Run(Ours("svstat"), new[] { "s" }, cwd: tree.Dir.Path).Out);
        Assert.Contains("\"finishing\":true", Run(Ours("svstat"), new[] { "-j", d }).Out);
        Assert.Equal(0, Svwait("-d", d).Exit);
        Assert.Equal(1, Svwait("-D", "-t", "200", d).Exit);
        // Down and finished holds only a moment before the restart: svwait hears it told.
        var finished = System.Threading.Tasks.Task.Run(() => Svwait("-D", "-t", "20000", d));
        Assert.True(WaitFor(() => Directory.GetFileSystemEntries(Path.Combine(d, "supervise/event")).Length == 1));
        File.Delete(tree.Dir["hold"]);
        Assert.Equal(0, finished.Result.Exit);
        Assert.Equal(0, Svwait("-u", "-t", "20000", d).Exit);
        Assert.EndsWith("finish -1 9\nrun\n", ReadOr(log));
    }

    [Fact]
    public void FinishThatOutlivesTimeoutFinishIsKilled()
    {
        var (tree, d) = Supervised("echo run >>../log\nexit 0",
            new() { ["finish"] = Script("exec sleep 1000"), ["timeout-finish"] = "300\n" });
        using var _ = tree;
        Assert.True(WaitFor(() => ReadOr(tree.Dir["log"]).Split('\n').Length > 3, 20000));
        Assert.Contains("supervise: warning: killing s/finish: it ran out of time\n", ReadOr(tree.Dir["err"]));
    }

    [Fact]
    public void FinishExiting125KeepsTheServiceDown()
    {
        var (tree, d) = Supervised("echo run >>../log\nexit 1", new() { ["finish"] = Script("touch ../finished\nexit 125") });
        using var _ = tree;
        Assert.True(WaitFor(() => File.Exists(tree.Dir["finished"]) && Status(d).Want == 'd' && Status(d).Flags == 0));
        Assert.Matches(@"^s: down \d+ seconds, normally up\n$", Run(Ours("svstat"), new[] { "s" }, cwd: tree.Dir.Path).Out);
        Assert.Equal(0, Svwait("-D", d).Exit);
        Sv.Svc(Svc, "-u", d);
        Assert.True(WaitFor(() => ReadOr(tree.Dir["log"]) == "run\nrun\n"));
        Assert.True(WaitFor(() => Status(d).Want == 'd'));
    }

    [Fact]
    public void ReadinessIsTheFirstNewlineOnTheNotificationDescriptor()
    {
        var (tree, d) = Supervised("ls /proc/$$/fd >../fds\nwhile [ ! -f ../go ]; do sleep 0.05; done\nprintf 'ready' >&5\necho >&5\nexec sleep 1000",
            new() { ["notification-fd"] = "5\n" });
        using var _ = tree;
        Assert.True(WaitFor(() => Sv.Pid(d) > 0 && File.Exists(tree.Dir["fds"])));
        Assert.Contains("5", File.ReadAllLines(tree.Dir["fds"]));
        Assert.Matches(@"^.*: up \(pid \d+\) \d+ seconds\n$", Svstat(d));
        Assert.Equal(0, Svwait("-u", d).Exit);
        Assert.Equal(1, Svwait("-U", "-t", "300", d).Exit);
        Assert.Contains("\"ready_seconds\":null", Run(Ours("svstat"), new[] { "-j", d }).Out);
        File.WriteAllText(tree.Dir["go"], "");
        Assert.Equal(0, Svwait("-U", "-t", "20000", d).Exit);
        Assert.Matches(@"^.*: up \(pid \d+\) \d+ seconds, ready \d+ seconds\n$", Svstat(d));
        Assert.Matches("\"ready_seconds\":[0-9]+,", Run(Ours("svstat"), new[] { "-j", d }).Out);
        // A service without the file is ready when it is up, and its line is djb's.
        var plain = tree.Service("plain", "exec sleep 1000");
        tree.Start(tree.Dir.Path, tree.Dir["plain.err"], Ours("supervise"), "plain");
        Assert.True(WaitFor(() => Sv.Ok(Ours("svok"), plain)));
        Assert.Equal(0, Svwait("-U", "-t", "20000", plain, d).Exit);
        Assert.Matches(@"^.*: up \(pid \d+\) \d+ seconds\n$", Svstat(plain));
        Assert.Equal(18, Sv.Status(plain).Length);
    }

    /// <summary>Pauses of 1, 2, 4, 4 seconds after runs that end at once, then 1 and 2 again
    /// after a run of ten seconds or more: read from the status file (the restart time minus the
    /// time the service went down), and svstat says it meanwhile.</summary>
    [Fact]
    public void RestartBackoffDoublesAndResetsAfterALongRun()
    {
        var (tree, d) = Supervised("[ -f ../long ] && { rm ../long; sleep 10.5; }\nexit 1", new() { ["restart-backoff"] = "4\n" });
        using var _ = tree;
        var pauses = new List<long>();
        ulong seen = 0;
        bool said = false;
        void Look()
        {
            var s = Status(d);
            if (s.RestartSeconds != 0 && s.RestartSeconds != seen && s.Pid == 0)
            {
                seen = s.RestartSeconds;
                pauses.Add((long)Math.Round(Tai64.MillisecondsBetween(s.Seconds, s.Nanoseconds, s.RestartSeconds, s.RestartNanoseconds) / 1000.0));
            }
            said = said || Regex.IsMatch(Svstat(d), @"^.*: down \d+ seconds, restarting in [1-4] seconds, normally up, want up\n$");
        }
        Assert.True(WaitFor(() => { Look(); return pauses.Count >= 4; }, 30000), string.Join(",", pauses));
        File.WriteAllText(tree.Dir["long"], "");
        Assert.True(WaitFor(() => { Look(); return pauses.Skip(4).SkipWhile(p => p == 4).Count() >= 2; }, 60000), string.Join(",", pauses));
        Assert.Equal(new long[] { 1, 2, 4, 4 }, pauses.Take(4));
        Assert.Equal(new long[] { 1, 2 }, pauses.Skip(4).SkipWhile(p => p == 4).Take(2));
        Assert.True(said);
        // d cancels a pending restart.
        Assert.True(WaitFor(() => Status(d).RestartSeconds != 0));
        Sv.Svc(Svc, "-d", d);
        Assert.True(WaitFor(() => Status(d).RestartSeconds == 0 && Status(d).Want == 'd'));
        Assert.Contains("\"restart_in\":null", Run(Ours("svstat"), new[] { "-j", d }).Out);
    }

    [Fact]
    public void DownSignalReplacesTermAndIsFollowedByCont()
    {
        var (tree, d) = Supervised("trap 'echo HUP >>../sig; exit 0' HUP\ntrap 'echo TERM >>../sig; exit 0' TERM\ntouch ../armed\nwhile :; do sleep 0.05; done",
            new() { ["down-signal"] = "SIGHUP\n" });
        using var _ = tree;
        Assert.True(WaitFor(() => Sv.Pid(d) > 0 && File.Exists(tree.Dir["armed"])));
        Sv.Svc(Svc, "-p", d);
        Sv.Svc(Svc, "-d", d);
        Assert.True(WaitFor(() => Sv.Pid(d) == 0));
        Assert.Equal("HUP\n", ReadOr(tree.Dir["sig"]));
        File.WriteAllText(Path.Combine(d, "down-signal"), "USR1");
        File.Delete(tree.Dir["sig"]);
        File.Delete(tree.Dir["armed"]);
        Sv.Svc(Svc, "-u", d);
        Assert.True(WaitFor(() => Sv.Pid(d) > 0 && File.Exists(tree.Dir["armed"])));
        File.Delete(tree.Dir["armed"]);
        Sv.Svc(Svc, "-t", d);
        Assert.True(WaitFor(() => ReadOr(tree.Dir["sig"]) == "TERM\n"));
        // A name that is no signal: a warning, and TERM.
        Assert.True(WaitFor(() => File.Exists(tree.Dir["armed"])));
        File.WriteAllText(Path.Combine(d, "down-signal"), "BOGUS\n");
        Sv.Svc(Svc, "-d", d);
        Assert.True(WaitFor(() => ReadOr(tree.Dir["sig"]) == "TERM\nTERM\n" && Sv.Pid(d) == 0));
        Assert.Equal("supervise: warning: ignoring s/down-signal: not valid\n", ReadOr(tree.Dir["err"]));
    }

    [Fact]
    public void TimeoutKillEndsAServiceThatIgnoresItsDownSignal()
    {
        var (tree, d, pid) = Running("trap '' TERM\nexec sleep 1000", new() { ["timeout-kill"] = "300\n" });
        using var _ = tree;
        Sv.Svc(Svc, "-d", d);
        Assert.Equal(0, Svwait("-d", "-t", "20000", d).Exit);
        Assert.False(Sv.Alive(pid));
    }

    [Fact]
    public void ANewSuperviseStopsTheRunItsKilledPredecessorLeft()
    {
        var (tree, d, old) = Running("trap '' TERM\nexec sleep 1001", new() { ["timeout-kill"] = "200\n" });
        using var _ = tree;
        int sup = Mine(d, Ours("supervise"), "s").Single();
        Sh($"kill -9 {sup}");
        Assert.True(WaitFor(() => !Sv.Alive(sup)));
        Assert.True(Sv.Alive(old));
        tree.Start(tree.Dir.Path, tree.Dir["err2"], Ours("supervise"), "s");
        Assert.True(WaitFor(() => Sv.Pid(d) > 0 && Sv.Pid(d) != old));
        Assert.False(Sv.Alive(old));
        Assert.True(WaitFor(() => Mine(d, "sleep", "1001").Length == 1 && Mine(d, "sleep", "1001")[0] == Sv.Pid(d)));
        Assert.Equal($"supervise: warning: stopping s/run left running by a previous supervise: pid {old}\n", File.ReadAllText(tree.Dir["err2"]));
        // A status naming a live process that is not the old ./run (here: the test host) is left alone.
        int host = Environment.ProcessId;
        var s = new ServiceStatus { Seconds = Tai64.Epoch + 1000, Pid = (uint)host, Want = (byte)'u' };
        sup = Mine(d, Ours("supervise"), "s").Single();
        Sh($"kill -9 {sup} {Sv.Pid(d)}");
        Assert.True(WaitFor(() => !Sv.Alive(sup)));
        var b = new byte[ServiceStatus.Size];
        s.Pack(b);
        File.WriteAllBytes(Path.Combine(d, "supervise/status"), b);
        tree.Start(tree.Dir.Path, tree.Dir["err3"], Ours("supervise"), "s");
        Assert.True(WaitFor(() => Sv.Pid(d) > 0 && Sv.Pid(d) != host));
        Assert.Equal("", ReadOr(tree.Dir["err3"]));
    }

    /// <summary>kill -9 on every supervise of a 100-service tree: svscan starts new ones, and each
    /// stops the ./run its predecessor left before starting its own.</summary>
    [Fact]
    public void Kill9OnEverySuperviseOfAHundredServicesLeavesOneRunEach()
    {
        const int N = 100;
        using var tree = new Tree();
        Directory.CreateDirectory(tree.Dir["service"]);
        for (int i = 0; i < N; i++) tree.Service($"service/s{i}", $"exec sleep {20000 + i}");
        var env = new Dictionary<string, string> { ["PATH"] = Path.GetDirectoryName(Ours("supervise")) + ":/usr/bin:/bin" };
        tree.Start(tree.Dir["service"], tree.Dir["svscan.err"], env, Ours("svscan"));
        string Dir(int i) => tree.Dir[$"service/s{i}"];
        Assert.True(WaitFor(() => Enumerable.Range(0, N).All(i => Sv.Pid(Dir(i)) > 0), 120000));
        var oldRuns = Enumerable.Range(0, N).Select(i => Sv.Pid(Dir(i))).ToArray();
        var supervises = Enumerable.Range(0, N).SelectMany(i => Mine(Dir(i), "supervise", $"s{i}")).ToArray();
        Assert.Equal(N, supervises.Length);
        Sh("kill -9 " + string.Join(' ', supervises));
        Assert.True(WaitFor(() => Enumerable.Range(0, N).All(i => Sv.Pid(Dir(i)) > 0 && Sv.Pid(Dir(i)) != oldRuns[i]), 120000));
        Assert.All(oldRuns, p => Assert.False(Sv.Alive(p)));
        for (int i = 0; i < N; i++)
        {
            var runs = Mine(Dir(i), "sleep", $"{20000 + i}");
            Assert.Single(runs);
            var parent = File.ReadAllText($"/proc/{runs[0]}/stat").Split(')')[1].Split(' ')[2];
            Assert.Equal($"supervise\0s{i}\0", File.ReadAllText($"/proc/{parent}/cmdline"));
        }
    }

    /// <summary>Debian's svstat, svc and svok on a service using finish, readiness and backoff.</summary>
    [Fact]
    public void DebiansToolsDriveAServiceUsingTheNewFiles()
    {
        var (tree, d) = Supervised("echo >&4\nexec sleep 1000", new()
        {
            ["finish"] = Script("exit 0"), ["notification-fd"] = "4", ["restart-backoff"] = "8",
        });
        using var _ = tree;
        Assert.Equal(0, Svwait("-U", "-t", "20000", d).Exit);
        Assert.True(Status(d).Extended);
        Assert.Equal(0, Run(Theirs("svok"), new[] { d }).Exit);
        Assert.Matches(@"^.*: up \(pid \d+\) \d+ seconds\n$", Run(Theirs("svstat"), new[] { d }).Out);
        Assert.Matches(@"^.*: up \(pid \d+\) \d+ seconds, ready \d+ seconds\n$", Svstat(d));
        Assert.Equal(0, Run(Theirs("svc"), new[] { "-d", d }).Exit);
        Assert.Equal(0, Svwait("-D", "-t", "20000", d).Exit);
        Assert.Matches(@"^.*: down \d+ seconds, normally up\n$", Run(Theirs("svstat"), new[] { d }).Out);
        Assert.Equal(0, Run(Theirs("svc"), new[] { "-u", d }).Exit);
        Assert.Equal(0, Svwait("-U", "-t", "20000", d).Exit);
        Run(Theirs("svc"), new[] { "-x", "-d", d });
        Assert.True(WaitFor(() => Run(Theirs("svok"), new[] { d }).Exit == 100));
        Assert.Matches(@"^.*: supervise not running\n$", Run(Theirs("svstat"), new[] { d }).Out);
    }

    static readonly string[] JsonKeys =
        { "dir", "supervise", "up", "pid", "seconds", "normally_up", "want", "paused", "ready_seconds", "finishing", "restart_in" };

    [Fact]
    public void SvstatJsonReadsDebiansSupervise()
    {
        var (tree, d) = Supervised("exec sleep 1000", supervise: Theirs("supervise"));
        using var _ = tree;
        Assert.True(WaitFor(() => Sv.Pid(d) > 0));
        File.WriteAllText(Path.Combine(d, "down"), "");
        Directory.CreateDirectory(tree.Dir["idle"]);
        var lines = Run(Ours("svstat"), new[] { "-j", "s", "idle", "missing" }, cwd: tree.Dir.Path).Out.Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.Equal("", lines[3]);
        using (var j = JsonDocument.Parse(lines[0]))
        {
            var o = j.RootElement;
            Assert.Equal(JsonKeys, o.EnumerateObject().Select(p => p.Name));
            Assert.Equal("s", o.GetProperty("dir").GetString());
            Assert.True(o.GetProperty("supervise").GetBoolean());
            Assert.True(o.GetProperty("up").GetBoolean());
            Assert.Equal(Sv.Pid(d), o.GetProperty("pid").GetInt32());
            Assert.False(o.GetProperty("normally_up").GetBoolean());
            Assert.Equal("up", o.GetProperty("want").GetString());
            Assert.Equal(JsonValueKind.Null, o.GetProperty("ready_seconds").ValueKind);
            Assert.False(o.GetProperty("finishing").GetBoolean());
            Assert.Equal(JsonValueKind.Null, o.GetProperty("restart_in").ValueKind);
        }
        using (var j = JsonDocument.Parse(lines[1]))
        {
            Assert.Equal(JsonKeys, j.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.False(j.RootElement.GetProperty("supervise").GetBoolean());
        }
        Assert.Equal("{\"dir\":\"missing\",\"error\":\"unable to chdir: file does not exist\"}", lines[2]);
        Run(Theirs("svc"), new[] { "-d", d });
        Assert.True(WaitFor(() => Run(Ours("svstat"), new[] { "-j", d }).Out.Contains("\"up\":false,\"pid\":null,")));
        // Plain svstat is djb's: its output is Debian's.
        Assert.Equal(Run(Theirs("svstat"), new[] { "s", "idle", "missing" }, cwd: tree.Dir.Path).Out,
            Run(Ours("svstat"), new[] { "s", "idle", "missing" }, cwd: tree.Dir.Path).Out);
    }

    const string ParsePrometheus =
        "import sys\nfrom prometheus_client.parser import text_string_to_metric_families\n" +
        "for f in text_string_to_metric_families(sys.stdin.read()):\n" +
        "    for s in f.samples:\n        print(f.type, s.name, repr(s.labels['service']), int(s.value))\n";

    [Fact]
    public void SvstatPrometheusParsesWithPrometheusClient()
    {
        var (tree, d) = Supervised("exec sleep 1000");
        using var _ = tree;
        var odd = tree.Service("o\"d\\d", "exec sleep 1000", down: true);
        tree.Start(tree.Dir.Path, tree.Dir["odd.err"], Ours("supervise"), "o\"d\\d");
        Assert.True(WaitFor(() => Sv.Pid(d) > 0 && Sv.Ok(Ours("svok"), odd)));
        var text = Run(Ours("svstat"), new[] { "-p", "s", "o\"d\\d", "missing" }, cwd: tree.Dir.Path).Out;
        var parsed = Run("/usr/bin/python3", new[] { "-c", ParsePrometheus }, stdin: text);
        Assert.True(parsed.Exit == 0, parsed.ToString() + text);
        var lines = parsed.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("gauge daemontools_supervise_running 's' 1", lines);
        Assert.Contains("gauge daemontools_supervise_running 'o\"d\\\\d' 1", lines);
        Assert.Contains("gauge daemontools_supervise_running 'missing' 0", lines);
        Assert.Contains("gauge daemontools_service_up 's' 1", lines);
        Assert.Contains("gauge daemontools_service_up 'o\"d\\\\d' 0", lines);
        Assert.Contains("gauge daemontools_service_ready 's' 1", lines);
        Assert.Contains("gauge daemontools_service_normally_up 'o\"d\\\\d' 0", lines);
        Assert.Contains("gauge daemontools_service_want_up 's' 1", lines);
        Assert.Contains("gauge daemontools_service_paused 's' 0", lines);
        Assert.Contains(lines, l => l.StartsWith("gauge daemontools_service_uptime_seconds 's' "));
        Assert.DoesNotContain(lines, l => l.Contains("'missing'") && !l.Contains("supervise_running"));
        Assert.Equal(7, Regex.Matches(text, "^# HELP ", RegexOptions.Multiline).Count);
        Assert.Equal(7, Regex.Matches(text, "^# TYPE daemontools_[a-z_]+ gauge$", RegexOptions.Multiline).Count);
    }

    [Fact]
    public void SvwaitUsageTimeoutAnyAllAndSuperviseGone()
    {
        using var tree = new Tree();
        var up = tree.Service("up", "exec sleep 1000");
        var down = tree.Service("down", "exec sleep 1000", down: true);
        var theirs = tree.Service("theirs", "exec sleep 1000", down: true);
        tree.Start(tree.Dir.Path, tree.Dir["up.err"], Ours("supervise"), "up");
        tree.Start(tree.Dir.Path, tree.Dir["down.err"], Ours("supervise"), "down");
        tree.Start(tree.Dir.Path, tree.Dir["theirs.err"], Theirs("supervise"), "theirs");
        Assert.True(WaitFor(() => Sv.Pid(up) > 0 && Sv.Ok(Ours("svok"), down) && Sv.Ok(Ours("svok"), theirs)));

        Assert.Equal("exit 100\n--- stdout\n\n--- stderr\nsvwait: usage: svwait [-u | -U | -d | -D] [-a | -o] [-t ms] dir ...\n", Svwait().ToString());
        Assert.Equal(100, Svwait("-z", up).Exit);
        Assert.Equal(100, Svwait("-t", "x", up).Exit);
        var gone = Svwait(tree.Dir["missing"]);
        Assert.Equal(102, gone.Exit);
        Assert.Equal($"svwait: fatal: unable to watch {tree.Dir["missing"]}: supervise not running\n", gone.Err);

        Assert.Equal(0, Svwait("-o", up, down).Exit);
        var timedOut = Svwait("-a", "-t", "300", up, down);
        Assert.Equal("exit 1\n--- stdout\n\n--- stderr\nsvwait: fatal: timed out\n", timedOut.ToString());
        Assert.Equal(0, Svwait("-d", "-o", up, down).Exit);
        // Debian's supervise announces nothing: its status is read every second.
        Sv.Svc(Ours("svc"), "-u", theirs);
        Assert.Equal(0, Svwait("-u", "-t", "20000", theirs, up).Exit);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(up, "supervise/event")));

        // The supervise waited on goes away.
        var sup = Mine(down, Ours("supervise"), "down").Single();
        var waiting = System.Threading.Tasks.Task.Run(() => Svwait("-u", down));
        Assert.True(WaitFor(() => Directory.GetFileSystemEntries(Path.Combine(down, "supervise/event")).Length == 1));
        Sh($"kill -9 {sup}");
        Assert.True(waiting.Wait(20000));
        Assert.Equal(102, waiting.Result.Exit);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(down, "supervise/event")));
    }
}

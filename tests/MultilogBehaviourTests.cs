// multilog as a running process: signals, the processor protocol, crash recovery, a full
// disk and bad set-ups.
#pragma warning disable CA1416 // Linux only: file modes
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;
using static Toolkit.Tests.Harness;
using static Toolkit.Tests.MultilogHarness;

namespace Toolkit.Tests;

public class MultilogBehaviourTests
{
    static bool CurrentSize(TempDir t, long n) => File.Exists(t["d/current"]) && new FileInfo(t["d/current"]).Length == n;

    [Fact]
    public void AlarmRotatesANonEmptyCurrent()
    {
        using var t = new TempDir();
        using var m = new Live(t.Path, "s4096", "./d");
        m.Write("line1\nline2\n");
        Assert.True(WaitFor(() => CurrentSize(t, 12)));
        Assert.Equal(0, kill(m.P.Id, SIGALRM));
        Assert.True(WaitFor(() => Directory.GetFiles(t["d"], "@*.s").Length == 1));
        var done = Directory.GetFiles(t["d"], "@*.s").Single();
        Assert.Equal("line1\nline2\n", Read(done));
        Assert.Equal("744", Mode(done));
        // An empty current is not rotated: whichever of these alarms comes first, only line3
        // makes a second file.
        Assert.Equal(0, kill(m.P.Id, SIGALRM));
        m.Write("line3\n");
        Assert.True(WaitFor(() => Directory.GetFiles(t["d"], "@*.s").Length == 2 || Read(t["d/current"]) == "line3\n"));
        Assert.Equal(0, kill(m.P.Id, SIGALRM));
        Assert.True(WaitFor(() => Directory.GetFiles(t["d"], "@*.s").Length == 2));
        Assert.Equal(0, m.Finish());
        var files = Directory.GetFiles(t["d"], "@*").OrderBy(f => f, StringComparer.Ordinal).ToArray();
        Assert.Equal(2, files.Length);
        Assert.Equal("line3\n", Read(files[1]));
        Assert.Equal("", Read(t["d/current"]));
        Assert.Equal("744", Mode(t["d/current"]));
    }

    /// <summary>Started with TERM and ALRM blocked and ignored, both multilogs still rotate on
    /// ALRM and exit on TERM: djb's unblocks them, as ours does.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AlarmAndTermWorkWhenStartedWithThemBlockedAndIgnored(bool ours)
    {
        using var t = new TempDir();
        using var m = new Live([.. TamperedSignals(ignoreChild: false), ours ? Ours("multilog") : Theirs("multilog")], t.Path, "./d");
        m.Write("line1\n");
        Assert.True(WaitFor(() => CurrentSize(t, 6)));
        Assert.Equal(0, kill(m.P.Id, SIGALRM));
        Assert.True(WaitFor(() => Directory.GetFiles(t["d"], "@*.s").Length == 1), "no rotation on ALRM");
        Assert.Equal(0, kill(m.P.Id, SIGTERM));
        Assert.True(m.P.WaitForExit(10000), "no exit on TERM");
        Assert.Equal(0, m.P.ExitCode);
    }

    [Fact]
    public void TermFinishesThePartialLineThenExits()
    {
        using var t = new TempDir();
        using var m = new Live(t.Path, "./d");
        m.Write("first\nabc");
        Assert.True(WaitFor(() => CurrentSize(t, 6)));
        Assert.Equal(0, kill(m.P.Id, SIGTERM));
        // Now it reads one byte at a time until the line ends; what follows stays unread.
        Assert.True(WaitFor(() => m.ReadingFd0(1)));
        m.Write("def\nnot read\n");
        Assert.True(m.P.WaitForExit(10000));
        Assert.Equal(0, m.P.ExitCode);
        Assert.Equal("first\nabcdef\n", Read(t["d/current"]));
        Assert.Equal("744", Mode(t["d/current"]));
    }

    [Fact]
    public void TermAtALineBoundaryExitsAtOnce()
    {
        using var t = new TempDir();
        using var m = new Live(t.Path, "t", "./d");
        m.Write("one\n");
        Assert.True(WaitFor(() => CurrentSize(t, 30)));
        Assert.Equal(0, kill(m.P.Id, SIGTERM));
        Assert.True(m.P.WaitForExit(10000));
        Assert.Equal(0, m.P.ExitCode);
        Assert.Matches("^@[0-9a-f]{24} one\n$", Read(t["d/current"]));
    }

    [Fact]
    public void ProcessorFailingTwiceThenSucceedingLosesNothing()
    {
        using var t = new TempDir();
        t.Write("proc.sh", "n=$(cat ../count 2>/dev/null || echo 0); n=$((n+1)); echo $n > ../count\n" +
            "[ $n -le 2 ] && exit 3\ntr a-z A-Z; echo \"state $n\" >&5; cat <&4 >&5\n");
        var input = Numbered(100, 40);
        var r = RunFile(Ours("multilog"), t.Path, input, "s4096", "!sh " + t["proc.sh"], "./d");
        Assert.Equal(0, r.Exit);
        Assert.Equal("multilog: warning: processor failed in ./d, pausing\n" +
            "multilog: warning: processor failed in ./d, pausing\n", r.Err);
        var done = Directory.GetFiles(t["d"], "@*").Single();
        Assert.EndsWith(".s", done);
        Assert.Equal("744", Mode(done));
        Assert.Equal("state 3\n", Read(t["d/state"]));
        Assert.False(File.Exists(t["d/previous"]) || File.Exists(t["d/processed"]) || File.Exists(t["d/newstate"]));
        var expected = Encoding.ASCII.GetString(input).Split('\n').SkipLast(1).ToList();
        var got = AllLines(t["d"]);
        Assert.Equal(expected.Count, got.Count);
        var processed = Read(done).Split('\n').Length - 1;
        Assert.True(processed > 0 && processed < expected.Count);
        for (int i = 0; i < got.Count; i++)
            Assert.Equal(i < processed ? expected[i].ToUpperInvariant() : expected[i], got[i]);
    }

    [Fact]
    public void KilledWhileWritingThenRestartedKeepsEveryLineOnce()
    {
        using var t = new TempDir();
        var m = new Live(t.Path, "s4096", "n100000", "./d");
        var writer = new System.Threading.Thread(() =>
        {
            try { for (int i = 0; i < 2_000_000; i++) m.P.StandardInput.Write($"{i:D7} some log text\n"); }
            catch (IOException) { }
        });
        writer.Start();
        Assert.True(WaitFor(() => Directory.GetFiles(t["d"], "@*").Length >= 5, 30000));
        m.P.Kill();
        m.P.WaitForExit();
        writer.Join();
        m.Dispose();

        // Debian's recovery on a copy gives the same names and contents.
        CopyDir(t["d"], t["c/d"]);
        var theirs = Run(Theirs("multilog"), new[] { "n100000", "./d" }, stdin: "", cwd: t["c"]);
        var ours = Run(Ours("multilog"), new[] { "n100000", "./d" }, stdin: "", cwd: t.Path);
        Assert.Equal(theirs.ToString(), ours.ToString());
        Assert.Equal(Snapshot(t["c/d"]), Snapshot(t["d"]));

        // The old current is finished as .u, and so is previous if the kill came mid-rotation.
        Assert.InRange(Directory.GetFiles(t["d"], "@*.u").Length, 1, 2);
        Assert.Equal("", Read(t["d/current"]));
        var lines = AllLines(t["d"]);
        Assert.True(lines.Count > 100);
        for (int i = 0; i < lines.Count; i++) Assert.True($"{i:D7} some log text" == lines[i], $"line {i}: {lines[i]} / {string.Join(",", Directory.GetFiles(t["d"]))}");
    }

    static void CopyDir(string from, string to)
    {
        Directory.CreateDirectory(to);
        File.SetUnixFileMode(to, File.GetUnixFileMode(from));
        foreach (var f in Directory.GetFiles(from))
        {
            var dest = Path.Combine(to, Path.GetFileName(f));
            File.Copy(f, dest);
            File.SetUnixFileMode(dest, File.GetUnixFileMode(f));
        }
    }

    // Crash states as 0.76 can leave them, recovered by both programs.
    [Theory]
    [InlineData("current:644:a\nb", "previous:744:p\n")]
    [InlineData("current:644:c\n", "previous:744:p\n", "processed:744:P\n", "state:644:s\n", "newstate:644:n\n")]
    [InlineData("current:644:c\n", "previous:744:p\n", "processed:644:P\n", "newstate:644:n\n")]
    [InlineData("current:744:clean\n", "state:644:s\n")]
    [InlineData("current:644:", "@400000006b0000000000000000.s:744:old\n")]
    [InlineData("processed:744:P\n")]
    public void RecoveryOnStart(params string[] files)
    {
        SameAsDebian(dir =>
        {
            Directory.CreateDirectory(Path.Combine(dir, "d"));
            foreach (var f in files)
            {
                var parts = f.Split(':', 3);
                var p = Path.Combine(dir, "d", parts[0]);
                File.WriteAllText(p, parts[2]);
                File.SetUnixFileMode(p, (UnixFileMode)Convert.ToInt32(parts[1], 8));
            }
        }, Encoding.ASCII.GetBytes("new line\n"), "n3", "!cat; echo x >&5", "./d");
    }

    [Fact]
    public void FullDiskPausesAndLosesNothing()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["fs"]);
        Directory.CreateDirectory(t["saved"]);
        Assert.Equal(0, Sh($"mount -t tmpfs -o size=128k tmpfs {t["fs"]}").Exit);
        try
        {
            var m = new Live(t.Path, "s4096", "n100000", "./fs/d");
            const int count = 20000;
            bool writerDone = false;
            var writer = new System.Threading.Thread(() =>
            {
                for (int i = 0; i < count; i++) m.P.StandardInput.Write($"{i:D6} numbered line\n");
                m.P.StandardInput.Close();
                writerDone = true;
            });
            writer.Start();
            Assert.True(WaitFor(() => m.Err.Contains("out of disk space"), 30000));
            Assert.Equal("multilog: warning: unable to write to ./fs/d/current, pausing: out of disk space\n",
                m.Err.Split('\n')[0] + "\n");
            // The disk stays full: multilog stops reading and the writer blocks on the pipe.
            Assert.False(writerDone);
            Assert.False(m.P.HasExited);
            // Free space by moving finished files away until the writer is done and multilog exits.
            int moved = 0;
            Assert.True(WaitFor(() =>
            {
                foreach (var f in Directory.GetFiles(t["fs/d"], "@*").OrderBy(f => f, StringComparer.Ordinal))
                    File.Move(f, Path.Combine(t["saved"], $"{++moved:D6}"));
                return m.P.HasExited;
            }, 120000));
            writer.Join();
            Assert.Equal(0, m.P.ExitCode);
            // A file finished between the last look and the exit is still in the directory.
            foreach (var f in Directory.GetFiles(t["fs/d"], "@*").OrderBy(f => f, StringComparer.Ordinal))
                File.Move(f, Path.Combine(t["saved"], $"{++moved:D6}"));
            var lines = Directory.GetFiles(t["saved"]).OrderBy(f => f, StringComparer.Ordinal)
                .SelectMany(f => Read(f).Split('\n').SkipLast(1)).Concat(Read(t["fs/d/current"]).Split('\n').SkipLast(1)).ToList();
            Assert.Equal(count, lines.Count);
            for (int i = 0; i < count; i++) Assert.Equal($"{i:D6} numbered line", lines[i]);
            m.Dispose();
        }
        finally
        {
            Sh($"umount {t["fs"]}");
        }
    }

    [Fact]
    public void DirectoryThatIsAFile()
    {
        var r = SameAsDebian(dir => File.WriteAllText(Path.Combine(dir, "afile"), "x"), Encoding.ASCII.GetBytes("x\n"), "./afile", "./afile/sub");
        Assert.Contains("afile", r);
        using var t = new TempDir();
        t.Write("afile", "");
        var ours = Run(Ours("multilog"), new[] { "e", "./afile" }, stdin: "x\n", cwd: t.Path);
        Assert.Equal(111, ours.Exit);
        Assert.Equal("multilog: fatal: unable to open directory ./afile: not a directory\n", ours.Err);
        Assert.Equal("", ours.Out);
    }

    [Fact]
    public void StatusFileThatCannotBeCreated() =>
        SameAsDebian(dir => File.WriteAllText(Path.Combine(dir, "afile"), "x"), Encoding.ASCII.GetBytes("x\n"), "=afile/x", "./d");

    [Fact]
    public void ReadOnlyFileSystem()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["ro"]);
        Assert.Equal(0, Sh($"mount -t tmpfs -o size=64k tmpfs {t["ro"]} && mkdir {t["ro"]}/d && mount -o remount,ro {t["ro"]}").Exit);
        try
        {
            foreach (var dir in new[] { "./ro/d", "./ro/new" })
            {
                var theirs = Run(Theirs("multilog"), new[] { dir }, stdin: "x\n", cwd: t.Path);
                var ours = Run(Ours("multilog"), new[] { dir }, stdin: "x\n", cwd: t.Path);
                Assert.Equal(theirs.ToString(), ours.ToString());
                Assert.Equal(111, ours.Exit);
            }
        }
        finally
        {
            Sh($"umount {t["ro"]}");
        }
    }

    [Fact]
    public void LockedDirectory()
    {
        using var t = new TempDir();
        using var m = new Live(t.Path, "./d");
        m.Write("held\n");
        Assert.True(WaitFor(() => CurrentSize(t, 5)));
        var theirs = Run(Theirs("multilog"), new[] { "./d" }, stdin: "x\n", cwd: t.Path);
        var ours = Run(Ours("multilog"), new[] { "./d" }, stdin: "x\n", cwd: t.Path);
        Assert.Equal("multilog: fatal: unable to lock directory ./d: temporary failure\n", ours.Err);
        Assert.Equal(theirs.ToString(), ours.ToString());
        Assert.Equal(0, m.Finish());
        Assert.Equal("held\n", Read(t["d/current"]));
    }
}

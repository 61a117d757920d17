// Differential tests: the same input and script through Debian's multilog and ours must
// leave the same files (names modulo timestamps, contents, modes) and the same stderr.
#pragma warning disable CA1416 // Linux only: file modes
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;
using static Toolkit.Tests.MultilogHarness;

namespace Toolkit.Tests;

public class MultilogDifferentialTests
{
    static byte[] B(string s) => Encoding.Latin1.GetBytes(s);

    /// <summary>Lines that exercise selection: empty lines, stars, spaces, odd bytes, lengths
    /// around 200 and 1000, and a partial last line.</summary>
    static readonly byte[] Mixed = B(string.Join("", new[]
    {
        "\n", "a\n", "ab\n", "abc\n", "a*b\n", "**\n", "*\n", "ver: status: 3/10\n", "delivery 1: success\n",
        "x ver: status: y\n", "status: ver:\n", "aaa bbb ccc\n", "tab\there\n", "back\\slash\n", "[brackets]\n",
        "?question\n", "\u00e9t\u00e9 \u00ff\u0001\n", "trailing space \n", " leading\n", "zzz\n",
        new string('y', 199) + "\n", new string('y', 200) + "\n", new string('y', 201) + "\n",
        new string('q', 999) + "\n", new string('q', 1000) + "\n", new string('q', 1001) + "\n",
        new string('r', 998) + "b\n", new string('r', 1000) + "b\n", new string('k', 5000) + "\n",
        "abcabc\n", "ba\n", "cab\n", "partial last line without newline",
    }));

    static readonly string[] Patterns =
    {
        "*", "", "a", "a*", "*a", "*b", "a*b", "a*c", "**", "***", "*ver: status:*", "ver: status:*", "*:*", "* *",
        "*\\*", "[*]", "?*", "*y", "*yy", "q*", "*b*", "a**", "*a*b*c", "ab*", "*c", "*\t*", "\u00e9*", "* ", " *",
        "*bb*", "b*", "ba", "*\u0001",
    };

    static string[] SelectionScript(bool stamp)
    {
        var script = new List<string>();
        if (stamp) script.Add("t");
        for (int i = 0; i < Patterns.Length; i++)
        {
            // With stamps, patterns are written to skip the stamp: '*' then ' ' finds its end.
            var p = stamp ? "* " + Patterns[i] : Patterns[i];
            script.AddRange(new[] { "+*", "-" + p, $"./minus{i}", "-*", "+" + p, $"./plus{i}" });
        }
        return script.ToArray();
    }

    [Fact]
    public void SelectionWithManyPatterns() => SameAsDebian(Mixed, SelectionScript(false));

    [Fact]
    public void SelectionWithManyPatternsAndStamps() => SameAsDebian(Mixed, SelectionScript(true));

    [Fact]
    public void EchoAndStatusFile() => SameAsDebian(Mixed, "e", "=status", "-a*", "e", "=status2", "./d");

    [Fact]
    public void EchoAndStatusFileWithStamps() => SameAsDebian(Mixed, "t", "e", "=status", "./d");

    [Fact]
    public void RotationSizesAndCount() =>
        SameAsDebian(Numbered(3000), "t", "e", "s5000", "n3", "=st", "./d", "-* *5*", "./d2", "s4096", "n5", "./d3");

    [Fact]
    public void DefaultSizeAndCount() => SameAsDebian(Numbered(30000, 60), "./d");

    [Fact]
    public void SizeClampedAndMinimumCount()
    {
        var snap = SameAsDebian(Numbered(4000), "s1", "n0", "./small", "s99999999", "n1", "./big");
        // s1 is 4096 and n0 is 2: one finished file beside current; s99999999 holds everything.
        Assert.Equal(1, Finished(snap, "small"));
        Assert.Equal(0, Finished(snap, "big"));
    }

    static int Finished(string snap, string dir) =>
        snap.Split("dir ").Single(s => s.StartsWith(dir + " ")).Split('\n').Count(l => l.StartsWith("  @"));

    [Fact]
    public void LinesOverAThousandBytesAndOverTheSize() =>
        SameAsDebian(B(new string('x', 10_000_000) + "\n" + new string('z', 3000) + "\nend\n"), "t", "e", "s1000000", "n3", "=st", "./d");

    [Fact]
    public void NoNewlineAtAll() => SameAsDebian(B(new string('x', 100_000)), "s4096", "n4", "e", "./d");

    [Fact]
    public void BinaryDataAndNuls()
    {
        var rnd = new System.Random(76);
        var data = new byte[300_000];
        rnd.NextBytes(data);
        for (int i = 0; i < data.Length; i += 97) data[i] = 0;
        SameAsDebian(data, "s4096", "n100", "e", "./d", "-*\u0001*", "./x", "=st");
    }

    [Fact]
    public void EmptyInputAndEmptyScript()
    {
        SameAsDebian(new byte[0], "t", "e", "=st", "./d");
        SameAsDebian(B("a\nb\n"));
        SameAsDebian(B("a\nb\n"), "", "x", "T", "N5", "n", "s", "!");
    }

    [Fact]
    public void Processor() =>
        SameAsDebian(Numbered(1500), "s4096", "n4", "!tr a-z A-Z; echo processed >&5; cat <&4 >&5; pwd | sed 's,.*/,,' >&2", "./d");

    /// <summary>Started with signals blocked and ignored, both run the processor with the same
    /// signal state (the processor's output is the .s file).</summary>
    [Fact]
    public void ProcessorSignalsMatchWhenStartedWithSignalsBlockedAndIgnored()
    {
        string[] script = ["s4096", "!exec grep -h -E '^Sig(Blk|Ign)' /proc/self/status", "./d"];
        string Processed(string multilog)
        {
            using var t = new TempDir();
            Directory.CreateDirectory(t["w"]);
            var r = RunFile([.. Harness.TamperedSignals(ignoreChild: false), multilog], t["w"], Numbered(200), script);
            Assert.Equal(0, r.Exit);
            return File.ReadAllText(Directory.GetFiles(t["w/d"], "@*.s").Order().First());
        }
        var theirs = Processed(Harness.Theirs("multilog"));
        Assert.Contains("SigIgn", theirs);
        Assert.Equal(theirs, Processed(Harness.Ours("multilog")));
    }

    /// <summary>A line goes into the directories after the whole script ran on it: the echoes
    /// and the status file come first, then the rotation its flush causes, with the processor
    /// (which sees the status file) and its pause.</summary>
    [Fact]
    public void LineReachesDirectoriesAfterTheScript() =>
        SameAsDebian(Numbered(300, 40), "s4096",
            "!echo processor sees $(head -c 6 ../st) >&2; test -e ../failed || { touch ../failed; exit 1; }; cat",
            "./d", "e", "=st", "-*5 *", "./d2", "e");

    /// <summary>Every =FILE is opened before any directory is set up.</summary>
    [Fact]
    public void StatusFilesBeforeDirectories()
    {
        SameAsDebian(new byte[0], "./main", "=main/st");
        SameAsDebian(dir => File.WriteAllText(Path.Combine(dir, "main"), "x"), new byte[0], "./main", "=main/st");
        Assert.Contains("  st 600 ", SameAsDebian(new byte[0], "./main/sub", "=st"));
    }

    /// <summary>On start, 0.76 removes state and newstate, and previous or processed, without
    /// looking at the result: what cannot be removed fails later, or not at all.</summary>
    [Theory]
    [InlineData("state")]
    [InlineData("newstate")]
    [InlineData("processed")]
    public void LeftoverThatCannotBeRemoved(string name) =>
        SameAsDebian(dir =>
        {
            Directory.CreateDirectory(Path.Combine(dir, "d", name));
            File.SetUnixFileMode(Path.Combine(dir, "d", name), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.WriteAllText(Path.Combine(dir, "d", "current"), "crashed\n");
        }, B("x\n"), "./d");

    [Fact]
    public void AbsoluteDirectory()
    {
        using var t = new TempDir();
        // Same absolute path for both, one after the other.
        var a = SnapAbsolute(Harness.Theirs("multilog"), t);
        var b = SnapAbsolute(Harness.Ours("multilog"), t);
        Assert.Equal(a, b);
    }

    static string SnapAbsolute(string exe, TempDir t)
    {
        var d = t["abs"];
        if (System.IO.Directory.Exists(d)) System.IO.Directory.Delete(d, true);
        var r = Harness.Run(exe, new[] { "s4096", d }, stdin: Encoding.ASCII.GetString(Numbered(500)));
        return r.ToString() + Snapshot(d);
    }
}

// multilog's actions beyond 0.76: T (a local ISO 8601 stamp), RN (rotation by age), SN (a cap on
// the finished files' total size), z (gzipped finished files), the !gzip and !zstd recipes,
// and the faults: a full disk while compressing, a processor that dies, a cap below one file.
#pragma warning disable CA1416 // Linux only: file modes
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;
using static Toolkit.Tests.Harness;
using static Toolkit.Tests.MultilogHarness;

namespace Toolkit.Tests;

public class MultilogExtensionsTests
{
    static string[] Finished(string dir) =>
        Directory.GetFiles(dir, "@*").OrderBy(f => f, StringComparer.Ordinal).ToArray();

    /// <summary>A finished file's text, gunzipped if its name ends in .gz.</summary>
    static string Text(string path)
    {
        if (!path.EndsWith(".gz")) return Read(path);
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var r = new StreamReader(gz, Encoding.Latin1);
        return r.ReadToEnd();
    }

    /// <summary>Every line of the finished files (in name order, gunzipped) then current.</summary>
    static List<string> Lines(string dir) =>
        Finished(dir).Select(Text).Append(Read(Path.Combine(dir, "current")))
            .SelectMany(s => s.Split('\n').SkipLast(1)).ToList();

    static string Joined(string[] lines) => string.Concat(lines.Select(l => l + "\n"));

    static string[] NumberedLines(int count, int width = 40) =>
        Encoding.ASCII.GetString(Numbered(count, width)).Split('\n').SkipLast(1).ToArray();

    /// <summary>The lines kept are the input's last ones, in order, with nothing missing.</summary>
    static void IsTailOf(string[] input, List<string> kept)
    {
        Assert.NotEmpty(kept);
        Assert.Equal(input[^kept.Count..], kept);
    }

    /// <summary>The letters are free: Debian's multilog ignores T, RN, SN and z, so a script
    /// with them runs there as without them.</summary>
    [Fact]
    public void DebiansMultilogIgnoresTheNewLetters()
    {
        using var with = new TempDir();
        using var without = new TempDir();
        var a = RunFile(Theirs("multilog"), with.Path, Numbered(300), "T", "s4096", "R1", "S10", "z", "./d");
        var b = RunFile(Theirs("multilog"), without.Path, Numbered(300), "s4096", "./d");
        Assert.Equal(b.ToString(), a.ToString());
        Assert.True(Finished(with["d"]).Length > 1);
        Assert.Equal(Snapshot(without.Path), Snapshot(with.Path));
    }

    // ---- T ----

    static readonly Regex LocalStamp = new(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$");

    static DateTimeOffset ParseLocal(string s)
    {
        Assert.Matches(LocalStamp, s);
        return DateTimeOffset.ParseExact(s, "yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture);
    }

    static DateTimeOffset ParseTai(string s)
    {
        var seconds = Convert.ToUInt64(s[1..17], 16) - 0x400000000000000aUL;
        var nanoseconds = Convert.ToUInt32(s[17..25], 16);
        return DateTimeOffset.FromUnixTimeSeconds((long)seconds).AddTicks(nanoseconds / 1000 * 10);
    }

    static DateTimeOffset Microseconds(DateTimeOffset t) => new(t.UtcTicks / 10 * 10, TimeSpan.Zero);

    /// <summary>T's stamp, parsed back, is the time the line was written in the zone of TZ
    /// with that zone's offset at that time; a t beside it is the same instant.</summary>
    [Theory]
    [InlineData("Europe/Berlin")]
    [InlineData("America/St_Johns")]
    [InlineData("Asia/Kolkata")]
    [InlineData("UTC")]
    public void LocalStampIsTheClockInTheZone(string zone)
    {
        using var t = new TempDir();
        using var m = new Live(["env", "TZ=" + zone, Ours("multilog")], t.Path, "T", "t", "./d");
        var before = Microseconds(DateTimeOffset.UtcNow);
        m.Write("first line\n");
        Assert.True(WaitFor(() => File.Exists(t["d/current"]) && Read(t["d/current"]).EndsWith('\n')));
        var after = DateTimeOffset.UtcNow;
        Assert.Equal(0, m.Finish());
        var fields = Read(t["d/current"]).TrimEnd('\n').Split(' ');
        Assert.Equal(4, fields.Length);
        Assert.Equal(["first", "line"], fields[2..]);
        var local = ParseLocal(fields[0]);
        Assert.InRange(local.UtcDateTime, before.UtcDateTime, after.UtcDateTime);
        Assert.Equal(TimeZoneInfo.FindSystemTimeZoneById(zone).GetUtcOffset(local.UtcDateTime), local.Offset);
        Assert.Equal(local.UtcTicks, ParseTai(fields[1]).UtcTicks);
    }

    /// <summary>t then T give both stamps in that order, counted in the first 1000 bytes of
    /// the line as t's is; e sees them too.</summary>
    [Fact]
    public void TaiThenLocalStampInScriptOrder()
    {
        using var t = new TempDir();
        var r = Run(Ours("multilog"), ["t", "T", "e", "./d"], stdin: "a\n" + new string('x', 1200) + "\n", cwd: t.Path);
        Assert.Equal(0, r.Exit);
        var lines = Read(t["d/current"]).Split('\n');
        var first = lines[0].Split(' ');
        Assert.Matches(@"^@[0-9a-f]{24}$", first[0]);
        ParseLocal(first[1]);
        Assert.Equal("a", first[2]);
        Assert.Equal(26 + 33 + 1200, lines[1].Length);
        var echoed = r.Err.Split('\n');
        Assert.Equal(lines[0], echoed[0]);
        Assert.Equal(lines[1][..200] + "...", echoed[1]);
    }

    // ---- RN ----

    static bool FinishedCount(TempDir t, int n) => Directory.Exists(t["d"]) && Finished(t["d"]).Length == n;

    /// <summary>R2 on a quiet input: a line is rotated out about 2 seconds after it came, and
    /// an empty current is never rotated however long the input stays quiet.</summary>
    [Fact]
    public void AgeRotatesAQuietCurrentAndNeverAnEmptyOne()
    {
        using var t = new TempDir();
        using var m = new Live(t.Path, "R2", "./d");
        m.Write("one\n");
        Assert.True(WaitFor(() => FinishedCount(t, 1), 20000), "no rotation by age");
        Assert.Equal("one\n", Read(Finished(t["d"])[0]));
        Assert.Equal("", Read(t["d/current"]));
        Assert.Equal("744", Mode(Finished(t["d"])[0]));
        // Three periods of quiet: still one finished file.
        Assert.False(WaitFor(() => !FinishedCount(t, 1), 6000), "an empty current was rotated");
        m.Write("two\n");
        m.Write("three\n");
        Assert.True(WaitFor(() => FinishedCount(t, 2), 20000), "no second rotation by age");
        Assert.Equal("two\nthree\n", Read(Finished(t["d"])[1]));
        Assert.Equal(0, m.Finish());
        Assert.Equal(2, Finished(t["d"]).Length);
        Assert.Equal("", Read(t["d/current"]));
    }

    /// <summary>With s: a file rotated for its size leaves the rest of the line's read in a
    /// new current, which is then rotated by age; nothing is lost or doubled.</summary>
    [Fact]
    public void AgeWorksWithSize()
    {
        using var t = new TempDir();
        using var m = new Live(t.Path, "s4096", "R2", "./d");
        var input = NumberedLines(150);
        m.Write(Joined(input));
        Assert.True(WaitFor(() => FinishedCount(t, 2), 20000), "no rotation by size then by age");
        Assert.True(new FileInfo(Finished(t["d"])[0]).Length > 2000);
        Assert.Equal(0, m.Finish());
        Assert.Equal(input, Lines(t["d"]));
        Assert.All(Finished(t["d"]), f => Assert.NotEqual(0, new FileInfo(f).Length));
    }

    /// <summary>A current left by a clean exit counts its age from its last write: an old one
    /// is rotated as soon as multilog starts.</summary>
    [Fact]
    public void AgeOfACurrentFromBefore()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["d"]);
        t.Write("d/current", "old line\n");
        File.SetUnixFileMode(t["d/current"], (UnixFileMode)Convert.ToInt32("744", 8));
        File.SetLastWriteTimeUtc(t["d/current"], DateTime.UtcNow.AddHours(-1));
        using var m = new Live(t.Path, "R3600", "./d");
        Assert.True(WaitFor(() => FinishedCount(t, 1), 20000), "an hour-old current was not rotated");
        Assert.Equal("old line\n", Read(Finished(t["d"])[0]));
        Assert.Equal(0, m.Finish());
    }

    // ---- SN ----

    /// <summary>Many small rotations under a cap: the finished files never take more than
    /// it, the newest are kept, and what is kept runs without a gap into current.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CapKeepsTheNewestWithinIt(bool compressed)
    {
        using var t = new TempDir();
        var input = NumberedLines(4000);
        string[] script = compressed ? ["s4096", "n1000", "S3000", "z", "./d"] : ["s4096", "n1000", "S20000", "./d"];
        long cap = compressed ? 3000 : 20000;
        var r = RunFile(Ours("multilog"), t.Path, Numbered(4000), script);
        Assert.Equal(0, r.Exit);
        var files = Finished(t["d"]);
        Assert.True(files.Length > 1, "the cap should keep several files");
        Assert.InRange(files.Sum(f => new FileInfo(f).Length), 1, cap);
        Assert.All(files, f => Assert.EndsWith(compressed ? ".s.gz" : ".s", f));
        IsTailOf(input, Lines(t["d"]));
        // Removed because of the cap, not of n: more were made than are kept.
        Assert.True(Lines(t["d"]).Count < input.Length);
    }

    /// <summary>A cap smaller than one file keeps the newest finished file whole (as n keeps
    /// at least one): the lines just rotated out of current are never lost.</summary>
    [Fact]
    public void CapSmallerThanOneFileKeepsTheNewest()
    {
        using var t = new TempDir();
        var input = NumberedLines(1000);
        var r = RunFile(Ours("multilog"), t.Path, Numbered(1000), "s4096", "S100", "./d");
        Assert.Equal(0, r.Exit);
        var files = Finished(t["d"]);
        Assert.Single(files);
        Assert.True(new FileInfo(files[0]).Length > 4096 - 2000);
        IsTailOf(input, Lines(t["d"]));
    }

    // ---- z ----

    static readonly Regex CompressedName = new(@"^@[0-9a-f]{24}\.[su]\.gz$");

    /// <summary>z: each finished file is @TAI64N.s.gz, mode 0744, gzip's format (gzip -t
    /// accepts it), n counts it; zcat | tai64nlocal reads the logs back.</summary>
    [Fact]
    public void CompressedFilesAreGzipAndCountedByN()
    {
        using var t = new TempDir();
        var input = NumberedLines(2000);
        var r = RunFile(Ours("multilog"), t.Path, Numbered(2000), "t", "s4096", "n4", "z", "./d");
        Assert.Equal(0, r.Exit);
        var files = Finished(t["d"]);
        Assert.Equal(3, files.Length);
        foreach (var f in files)
        {
            Assert.Matches(CompressedName, Path.GetFileName(f));
            Assert.Equal("744", Mode(f));
            Assert.Equal(0, Sh($"gzip -t '{f}'").Exit);
        }
        Assert.False(File.Exists(t["d/compressing"]));
        var lines = Lines(t["d"]);
        IsTailOf(input, lines.Select(l => l[26..]).ToList());
        var local = Sh($"zcat d/@*.s.gz | '{Ours("tai64nlocal")}'", cwd: t.Path);
        Assert.Equal(0, local.Exit);
        Assert.All(local.Out.Split('\n').SkipLast(1), l => Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} \d{6} x+$", l));
    }

    /// <summary>z after a processor compresses what it made; after a crash, the unsafe
    /// current becomes @TAI64N.u.gz and a half-written compressing is removed.</summary>
    [Fact]
    public void CompressedAfterAProcessorAndAfterACrash()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["d"]);
        t.Write("d/current", "cut short\n");
        t.Write("d/compressing", "half");
        var r = RunFile(Ours("multilog"), t.Path, [], "!tr a-z A-Z", "z", "./d");
        Assert.Equal(0, r.Exit);
        Assert.Equal("", r.Err);
        var files = Finished(t["d"]);
        Assert.Single(files);
        Assert.EndsWith(".u.gz", files[0]);
        Assert.Equal("cut short\n", Text(files[0]));
        Assert.False(File.Exists(t["d/compressing"]));
        using var m = new Live(t.Path, "!tr a-z A-Z", "z", "./d");
        m.Write("upper me\n");
        Assert.True(WaitFor(() => Read(t["d/current"]) == "upper me\n"));
        Assert.Equal(0, kill(m.P.Id, SIGALRM));
        Assert.True(WaitFor(() => Finished(t["d"]).Length == 2));
        Assert.Equal(0, m.Finish());
        Assert.EndsWith(".s.gz", Finished(t["d"])[1]);
        Assert.Equal("UPPER ME\n", Text(Finished(t["d"])[1]));
    }

    /// <summary>The recipes in the docs: a !gzip or !zstd processor makes @TAI64N.s files
    /// that zcat or zstdcat read back.</summary>
    [Theory]
    [InlineData("gzip", "zcat")]
    [InlineData("zstd -q", "zstdcat")]
    public void ProcessorRecipes(string processor, string reader)
    {
        using var t = new TempDir();
        var input = NumberedLines(500);
        var r = RunFile(Ours("multilog"), t.Path, Numbered(500), "s4096", "n100", "!" + processor, "./d");
        Assert.Equal(0, r.Exit);
        Assert.Equal("", r.Err);
        var files = Finished(t["d"]);
        Assert.True(files.Length > 2);
        var back = Sh($"{reader} d/@*.s; cat d/current", cwd: t.Path);
        Assert.Equal(0, back.Exit);
        Assert.Equal(input, back.Out.Split('\n').SkipLast(1));
    }

    // ---- faults ----

    /// <summary>A disk that fills up while a finished file is compressed: multilog warns,
    /// pauses and retries, reading no more input; once there is room again (the file system
    /// grows) it goes on, and every line is in the gzipped file or current.</summary>
    [Fact]
    public void FullDiskWhileCompressingPausesAndLosesNothing()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["fs"]);
        Assert.Equal(0, Sh($"mount -t tmpfs -o size=128k tmpfs {t["fs"]}").Exit);
        try
        {
            // Lines gzip cannot shrink much: the file being compressed and its gzipped copy do
            // not fit together, but current alone does.
            var random = new Random(15);
            // More than the pipe holds besides what multilog has read when it pauses.
            var input = Enumerable.Range(0, 4000).Select(i =>
            {
                var b = new byte[54];
                random.NextBytes(b);
                return $"{i:D6} {Convert.ToBase64String(b)}";
            }).ToArray();
            using var m = new Live(t.Path, "s100000", "z", "./fs/d");
            bool writerDone = false;
            var writer = new System.Threading.Thread(() =>
            {
                foreach (var l in input) m.P.StandardInput.Write(l + "\n");
                m.P.StandardInput.Close();
                writerDone = true;
            });
            writer.Start();
            Assert.True(WaitFor(() => m.Err.Contains("out of disk space"), 30000), m.Err);
            Assert.Equal("multilog: warning: unable to write to ./fs/d/compressing, pausing: out of disk space",
                m.Err.Split('\n')[0]);
            Assert.False(writerDone);
            Assert.False(m.P.HasExited);
            Assert.Equal(0, Sh($"mount -o remount,size=4m {t["fs"]}").Exit);
            Assert.True(m.P.WaitForExit(60000), "no exit after the disk grew");
            writer.Join();
            Assert.Equal(0, m.P.ExitCode);
            Assert.False(File.Exists(t["fs/d/compressing"]));
            Assert.False(File.Exists(t["fs/d/previous"]));
            Assert.Equal(input, Lines(t["fs/d"]));
        }
        finally
        {
            Sh($"umount {t["fs"]}");
        }
    }

    /// <summary>A processor killed by a signal: multilog warns, pauses and runs it again on
    /// the same input; the finished file (gzipped) has every line once.</summary>
    [Fact]
    public void ProcessorThatDiesIsRunAgain()
    {
        using var t = new TempDir();
        using var m = new Live(t.Path, "!if [ -e died ]; then cat; else touch died; kill -KILL $$; fi", "z", "./d");
        var input = NumberedLines(50);
        m.Write(Joined(input));
        Assert.True(WaitFor(() => File.Exists(t["d/current"]) && new FileInfo(t["d/current"]).Length == 50 * 40));
        Assert.Equal(0, kill(m.P.Id, SIGALRM));
        Assert.True(WaitFor(() => m.Err.Contains("processor crashed"), 20000));
        Assert.True(WaitFor(() => Finished(t["d"]).Length == 1, 30000), m.Err);
        Assert.Equal(0, m.Finish());
        Assert.EndsWith(".s.gz", Finished(t["d"])[0]);
        Assert.Equal(input, Lines(t["d"]));
    }
}

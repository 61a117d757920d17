// The cdb library and cdbmake/cdbdump/cdbget against Debian's cdb tools (package freecdb, djb's
// cdb-0.75 formats): identical files and outputs, and a reader that survives any file.
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public class CdbTests
{
    static byte[] B(string s) => Encoding.Latin1.GetBytes(s);
    static string S(byte[] b) => Encoding.Latin1.GetString(b);

    /// <summary>cdbmake input for the records.</summary>
    internal static byte[] Records(IEnumerable<(string key, string data)> records)
    {
        var text = new StringBuilder();
        foreach (var (k, v) in records) text.Append($"+{k.Length},{v.Length}:{k}->{v}\n");
        return B(text.Append('\n').ToString());
    }

    /// <summary>A cdb of the records, made by Debian's cdbmake.</summary>
    internal static byte[] Build(IEnumerable<(string key, string data)> records)
    {
        using var d = new TempDir();
        var r = Run(Theirs("cdbmake"), new[] { "x.cdb", "x.tmp" }, cwd: d.Path, stdinBytes: Records(records));
        Assert.Equal(0, r.Exit);
        return File.ReadAllBytes(d["x.cdb"]);
    }

    static List<(string, string)> RandomRecords(Random r, int n)
    {
        var keys = Enumerable.Range(0, 1 + n / 4).Select(i => RandomString(r, r.Next(12))).ToArray();
        return Enumerable.Range(0, n).Select(_ => (keys[r.Next(keys.Length)], RandomString(r, r.Next(30)))).ToList();
    }

    static string RandomString(Random r, int n) => new string(Enumerable.Range(0, n).Select(_ => (char)r.Next(256)).ToArray());

    static readonly List<(string, string)>[] Corpus =
    {
        new(),
        new() { ("one", "Hello"), ("two", "Goodbye") },
        new() { ("dup", "first"), ("dup", "second"), ("dup", ""), ("", "empty key"), ("", "") },
        new() { ("key\nwith\nnewlines", "data->with\0nul"), ("+1,2:", "-> \n\n"), ("\xff\x80", "\x00") },
        RandomRecords(new Random(7), 3000),
    };

    [Fact]
    public void WorkedExampleFromTheSpec()
    {
        using var d = new TempDir();
        var (r, cdb) = TcprulesTests.Compile(Ours("tcprules"), d.Path, B("1.2.3.4:deny\n"));
        Assert.Equal(0, r.Exit);
        Assert.Equal(2081, cdb.Length);
        Assert.Equal(new byte[] { 7, 0, 0, 0, 2, 0, 0, 0, (byte)'1', (byte)'.', (byte)'2', (byte)'.', (byte)'3', (byte)'.', (byte)'4', (byte)'D', 0 },
            cdb.Skip(2048).Take(17));
        Assert.Equal(0x3c4cfacfu, CdbHash.Of(B("1.2.3.4")));
        Assert.Equal(new byte[] { 0xcf, 0xfa, 0x4c, 0x3c, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, cdb.Skip(2065));
        for (int t = 0; t < 256; t++)
        {
            Assert.Equal(t <= 207 ? 2065u : 2081u, Cdb.Unpack(cdb.AsSpan(8 * t)));
            Assert.Equal(t == 207 ? 2u : 0u, Cdb.Unpack(cdb.AsSpan(8 * t + 4)));
        }
    }

    [Fact]
    public void CdbmakeIsByteIdenticalAndDumpsAndGetsMatch()
    {
        using var d = new TempDir();
        foreach (var records in Corpus)
        {
            var input = Records(records);
            var theirs = Run(Theirs("cdbmake"), new[] { "theirs.cdb", "theirs.tmp" }, cwd: d.Path, stdinBytes: input);
            var ours = Run(Ours("cdbmake"), new[] { "ours.cdb", "ours.tmp" }, cwd: d.Path, stdinBytes: input);
            Assert.Equal(theirs.ToString(), ours.ToString());
            var cdb = File.ReadAllBytes(d["ours.cdb"]);
            Assert.Equal(File.ReadAllBytes(d["theirs.cdb"]), cdb);

            var dumpTheirs = Run(Theirs("cdbdump"), new string[0], stdinBytes: cdb);
            var dumpOurs = Run(Ours("cdbdump"), new string[0], stdinBytes: cdb);
            Assert.Equal(dumpTheirs.ToString(), dumpOurs.ToString());
            Assert.Equal(input, dumpOurs.OutBytes);

            var keys = records.Select(r => r.Item1).Distinct().Take(15).Append("absent");
            foreach (var key in keys.Where(k => k.Length > 0 && k[0] != '-' && k.IndexOf('\0') < 0))
                foreach (var skip in new[] { null, "0", "1", "2" })
                {
                    var args = skip == null ? new[] { key } : new[] { key, skip };
                    var t = Run("/bin/sh", new[] { "-c", "exec \"$0\" \"$@\" < ours.cdb", Theirs("cdbget") }.Concat(args), cwd: d.Path);
                    var o = Run("/bin/sh", new[] { "-c", "exec \"$0\" \"$@\" < ours.cdb", Ours("cdbget") }.Concat(args), cwd: d.Path);
                    Assert.Equal(t.ToString(), o.ToString());
                }
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("+3,5:one->Hello\n")]
    [InlineData("+3,5:one->Hel")]
    [InlineData("-3,5:one->Hello\n\n")]
    [InlineData("+3;5:one->Hello\n\n")]
    [InlineData("+3,5:one=>Hello\n\n")]
    [InlineData("+3,5:one->Hello\r\n\n")]
    [InlineData("+x,5:one->Hello\n\n")]
    [InlineData("+3,5:one->Hello\n+\n")]
    public void CdbmakeBadInputLeavesTheCdbAlone(string input)
    {
        using var d = new TempDir();
        File.WriteAllBytes(d["f.cdb"], B("old"));
        var r = Run(Ours("cdbmake"), new[] { "f.cdb", "f.tmp" }, cwd: d.Path, stdinBytes: B(input));
        Assert.Equal("cdbmake: fatal: unable to read input: bad format\n", r.Err);
        Assert.Equal(111, r.Exit);
        Assert.Equal(111, Run(Theirs("cdbmake"), new[] { "f.cdb", "f.tmp" }, cwd: d.Path, stdinBytes: B(input)).Exit);
        Assert.Equal(B("old"), File.ReadAllBytes(d["f.cdb"]));
    }

    [Fact]
    public void CdbmakeSystemErrors()
    {
        using var d = new TempDir();
        Assert.Equal("cdbmake: usage: cdbmake f ftmp\n", Run(Ours("cdbmake"), new[] { "f" }).Err);
        Assert.Equal(100, Run(Ours("cdbmake"), new[] { "f" }).Exit);
        var r = Run(Ours("cdbmake"), new[] { "f.cdb", "no/f.tmp" }, cwd: d.Path, stdin: "\n");
        Assert.Equal((111, "cdbmake: fatal: unable to create no/f.tmp: file does not exist\n"), (r.Exit, r.Err));
        r = Run(Ours("cdbmake"), new[] { "f.cdb", "/dev/full" }, cwd: d.Path, stdin: "+1,1:a->b\n\n");
        Assert.Equal((111, "cdbmake: fatal: unable to create /dev/full: out of disk space\n"), (r.Exit, r.Err));
        r = Run(Ours("cdbmake"), new[] { "no/f.cdb", "f.tmp" }, cwd: d.Path, stdin: "\n");
        Assert.Equal((111, "cdbmake: fatal: unable to rename f.tmp to no/f.cdb: file does not exist\n"), (r.Exit, r.Err));
        var t = Run(Theirs("cdbmake"), new[] { "no/f.cdb", "f.tmp" }, cwd: d.Path, stdin: "\n");
        Assert.Equal(t.ToString(), r.ToString());
    }

    [Fact]
    public void CdbdumpAndCdbgetOnBadInput()
    {
        using var d = new TempDir();
        var cdb = Build(Corpus[1]);
        foreach (int len in new[] { 0, 3, 100, 2048, 2060, cdb.Length - 1 })
        {
            File.WriteAllBytes(d["t.cdb"], cdb.Take(len).ToArray());
            var t = Sh($"{Theirs("cdbdump")} < t.cdb", d.Path);
            var o = Sh($"{Ours("cdbdump")} < t.cdb", d.Path);
            Assert.Equal((t.Exit, t.Err), (o.Exit, o.Err));
            var gt = Sh($"{Theirs("cdbget")} two < t.cdb", d.Path);
            var go = Sh($"{Ours("cdbget")} two < t.cdb", d.Path);
            Assert.Equal((gt.Exit, gt.Out), (go.Exit, go.Out));
        }
        Assert.Equal((100, "cdbget: usage: cdbget key [skip]\n"), (Run(Ours("cdbget"), new string[0]).Exit, Run(Ours("cdbget"), new string[0]).Err));
    }

    [Fact]
    public void ReaderFindsEveryRecordInOrder()
    {
        using var d = new TempDir();
        var records = RandomRecords(new Random(11), 2000);
        File.WriteAllBytes(d["r.cdb"], Build(records));
        using var cdb = Cdb.Open(B(d["r.cdb"]), out _);
        foreach (var group in records.GroupBy(r => r.Item1))
        {
            var key = B(group.Key);
            var found = new List<string>();
            cdb.FindStart();
            Found r;
            while ((r = cdb.FindNext(key)) == Found.Yes) found.Add(S(cdb.Data()));
            Assert.Equal(Found.No, r);
            Assert.Equal(group.Select(g => g.Item2), found);
        }
        Assert.Equal(Found.No, cdb.Find(B("certainly absent key")));
    }

    /// <summary>Truncated, mutated and random files: the reader returns, never throws.</summary>
    [Fact]
    public void FuzzReader()
    {
        int seed = Environment.TickCount;
        foreach (var s in new[] { 1234, seed })
            Assert.True(System.Threading.Tasks.Task.Run(() => FuzzReaderWith(s)).Wait(TimeSpan.FromSeconds(90)), $"seed {s}: the reader hangs");
    }

    static void FuzzReaderWith(int s)
    {
        var random = new Random(s);
        using var d = new TempDir();
        var records = RandomRecords(random, 200).Select(r => (r.Item1.Replace('\0', 'z'), r.Item2)).ToList();
        var image = Build(records);
        var keys = records.Select(r => B(r.Item1)).Distinct().Take(20).Append(B("absent")).ToList();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        int cases = 0;
        for (int len = 0; len <= image.Length && DateTime.UtcNow < deadline; len += 1 + random.Next(7), cases++)
            Probe(d["f.cdb"], image.AsSpan(0, len).ToArray(), keys, $"seed {s} truncated to {len}");
        for (int i = 0; i < 1500 && DateTime.UtcNow < deadline; i++, cases++)
        {
            var bad = (byte[])image.Clone();
            for (int n = 1 + random.Next(8); n > 0; n--)
            {
                int at = random.Next(4) == 0 ? random.Next(2048) : random.Next(bad.Length);
                bad[at] = (byte)random.Next(256);
            }
            Probe(d["f.cdb"], bad, keys, $"seed {s} mutation {i}");
            var junk = new byte[random.Next(5000)];
            random.NextBytes(junk);
            Probe(d["f.cdb"], junk, keys, $"seed {s} random {i}");
        }
        Assert.True(cases > 100, $"seed {s}: only {cases} cases");
    }

    /// <summary>A cdb written by hand: key's hash table at hpos with hslots slots in the header,
    /// then body from offset 2048.</summary>
    static byte[] Crafted(string key, uint hpos, uint hslots, byte[] body)
    {
        var image = new byte[2048 + body.Length];
        int t = (int)(CdbHash.Of(B(key)) & 255);
        BitConverter.GetBytes(hpos).CopyTo(image, 8 * t);
        BitConverter.GetBytes(hslots).CopyTo(image, 8 * t + 4);
        body.CopyTo(image, 2048);
        return image;
    }

    static byte[] Slot(string key, uint pos) => [.. BitConverter.GetBytes(CdbHash.Of(B(key))), .. BitConverter.GetBytes(pos)];

    /// <summary>What djb's reader (ucspi-tcp's, freecdb's) finds and ours must too: table
    /// positions wrap at 4 GB (a table "past" 4 GB lands at the start of the file), and a key is
    /// compared 32 bytes at a time (a record running past the end of the file is no match if its
    /// first 32 bytes differ). Each checked by cdbget and tcprulescheck against Debian's.</summary>
    [Fact]
    public void ReadsCorruptTablesAsDjbsReaderDoes()
    {
        using var d = new TempDir();
        const string ip = "1.2.3.4";
        // The record at 2048, its slot at 2065, the table starting where 32-bit arithmetic
        // takes the key's slot from it to 2065.
        uint u = CdbHash.Of(B(ip)) >> 8 << 3;
        var wrapped = Crafted(ip, 2065 - u, 1 << 24, [7, 0, 0, 0, 2, 0, 0, 0, .. B(ip), (byte)'D', 0, .. Slot(ip, 2048)]);
        Assert.True(u > 2065);
        // A 40-byte key (INFO@IP for tcprulescheck) whose slot points to a record with another
        // key of that length, cut off by the end of the file after 35 bytes of it.
        var info = new string('x', 32);
        var cut = Crafted(info + "@" + ip, 2048, 1, [.. Slot(info + "@" + ip, 2056), 40, 0, 0, 0, 0, 0, 0, 0, .. B(new string('y', 35))]);
        foreach (var (image, key) in new[] { (wrapped, ip), (cut, info + "@" + ip) })
        {
            File.WriteAllBytes(d["r.cdb"], image);
            var env = new Dictionary<string, string> { ["TCPREMOTEIP"] = ip, ["TCPREMOTEINFO"] = info };
            var theirs = Run(Theirs("tcprulescheck"), ["r.cdb"], cwd: d.Path, env: env);
            Assert.Equal(theirs.ToString(), Run(Ours("tcprulescheck"), ["r.cdb"], cwd: d.Path, env: env).ToString());
            Assert.Equal(0, theirs.Exit);
            var get = $"exec \"$0\" \"$@\" < r.cdb";
            theirs = Run("/bin/sh", ["-c", get, Theirs("cdbget"), key], cwd: d.Path);
            Assert.Equal(theirs.ToString(), Run("/bin/sh", ["-c", get, Ours("cdbget"), key], cwd: d.Path).ToString());
        }
    }

    /// <summary>Tables whose slot count wraps 32-bit arithmetic, full of non-matching slots: C's
    /// reader can loop for billions of probes; ours stops at the end of the file.</summary>
    [Theory]
    [InlineData(0x20000001u)]
    [InlineData(0xffffffffu)]
    [InlineData(0x80000000u)]
    public void HostileTablesEndQuickly(uint slots)
    {
        using var d = new TempDir();
        var image = Enumerable.Repeat((byte)0xff, 1 << 20).ToArray();
        for (int t = 0; t < 256; t++)
        {
            BitConverter.GetBytes(2048u).CopyTo(image, 8 * t);
            BitConverter.GetBytes(slots).CopyTo(image, 8 * t + 4);
        }
        File.WriteAllBytes(d["h.cdb"], image);
        using var cdb = Cdb.Open(B(d["h.cdb"]), out _);
        Assert.Equal(Found.Error, cdb.Find(B("1.2.3.4")));
        Assert.Equal(Native.EPROTO, cdb.Errno);
        Assert.Equal(Found.Error, Rules.Find(cdb, B("1.2.3.4"), null, null, out _));
    }

    static void Probe(string path, byte[] image, List<byte[]> keys, string what)
    {
        try
        {
            File.WriteAllBytes(path, image);
            using var cdb = Cdb.Open(B(path), out int errno);
            // An empty file is refused at once (see Cdb.Open).
            Assert.Equal(image.Length == 0 ? Native.EINVAL : 0, errno);
            if (cdb == null) return;
            foreach (var key in keys)
            {
                cdb.FindStart();
                for (int n = 0; n < 1000 && cdb.FindNext(key) == Found.Yes; n++) cdb.Data();
            }
            Rules.Find(cdb, B("1.2.3.4"), B("host.example.com"), B("joe"), out _);
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {e}");
        }
    }

    [Fact]
    public void FileShrinkingWhileOpenIsAFormatError()
    {
        using var d = new TempDir();
        var records = RandomRecords(new Random(5), 3000);
        File.WriteAllBytes(d["r.cdb"], Build(records));
        using var cdb = Cdb.Open(B(d["r.cdb"]), out int errno);
        Assert.Equal(0, errno);
        Assert.Equal(Found.Yes, cdb.Find(B(records[0].Item1)));
        using (var f = new FileStream(d["r.cdb"], FileMode.Open)) f.SetLength(3000);
        int errors = 0;
        foreach (var (key, _) in records.Skip(1).Take(200))
        {
            var r = cdb.Find(B(key));
            if (r == Found.Yes && cdb.Data() == null) r = Found.Error;
            if (r == Found.Error) { errors++; Assert.Equal(Native.EPROTO, cdb.Errno); }
        }
        Assert.True(errors > 100, $"{errors} format errors");
    }

    [Fact]
    public void TruncatedRulesReadLikeDebian()
    {
        using var d = new TempDir();
        var rules = string.Join("\n", Enumerable.Range(0, 60).Select(i => $"10.0.{i}.:allow,N=\"{i}\"")) + "\n=:deny\n:allow,LAST=\"\"\n";
        var (_, cdb) = TcprulesTests.Compile(Theirs("tcprules"), d.Path, B(rules));
        var random = new Random(99);
        for (int i = 0; i < 25; i++)
        {
            int len = i == 0 ? cdb.Length : random.Next(cdb.Length);
            File.WriteAllBytes(d["t.cdb"], cdb.Take(len).ToArray());
            var env = TcprulesTests.Env($"10.0.{random.Next(70)}.1", random.Next(2) == 0 ? "h.example" : null, null);
            var t = Run(Theirs("tcprulescheck"), new[] { "t.cdb" }, cwd: d.Path, env: env);
            var o = Run(Ours("tcprulescheck"), new[] { "t.cdb" }, cwd: d.Path, env: env);
            Assert.True(t.ToString() == o.ToString(), $"length {len}\n{t}\n{o}");
        }
    }
}

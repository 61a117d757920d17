// Running Debian's multilog and ours on the same input and comparing what they leave.
#pragma warning disable CA1416 // Linux only: file modes
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public static class MultilogHarness
{
    static readonly Regex Stamp = new("@[0-9a-f]{24}", RegexOptions.Compiled);
    static readonly Regex LineStamp = new("(?m)^@[0-9a-f]{24}", RegexOptions.Compiled);

    /// <summary>Runs multilog in cwd with stdin from a regular file (so that its reads, and so
    /// its flush points, are the same for both programs).</summary>
    public static Result RunFile(string exe, string cwd, byte[] input, params string[] script) =>
        RunFile([exe], cwd, input, script);

    /// <summary>The same with multilog run by a command (command's last word is multilog).</summary>
    public static Result RunFile(string[] command, string cwd, byte[] input, params string[] script)
    {
        var inFile = Path.Combine(cwd, "..", Path.GetFileName(cwd) + ".in");
        File.WriteAllBytes(inFile, input);
        var args = new List<string> { "-c", "exec \"$0\" \"$@\" < \"$IN\"" };
        args.AddRange(command);
        args.AddRange(script);
        return Run("/bin/sh", args, cwd: cwd, env: new Dictionary<string, string> { ["IN"] = inFile }, timeoutMs: 60000);
    }

    /// <summary>A description of a directory tree with timestamps normalised: finished files
    /// are numbered in the order of their names, stamps at line starts become @STAMP.</summary>
    public static string Snapshot(string root)
    {
        var sb = new StringBuilder();
        foreach (var dir in Directory.GetDirectories(root, "*", SearchOption.AllDirectories).Append(root).OrderBy(d => d, StringComparer.Ordinal))
        {
            sb.Append("dir ").Append(Path.GetRelativePath(root, dir)).Append(' ').Append(Mode(dir)).Append('\n');
            int finished = 0;
            foreach (var f in Directory.GetFiles(dir).OrderBy(f => f, StringComparer.Ordinal))
            {
                var name = Path.GetFileName(f);
                var shown = Stamp.IsMatch(name) ? $"@{++finished}{name[25..]}" : name;
                var content = Normalise(File.ReadAllBytes(f));
                sb.Append("  ").Append(shown).Append(' ').Append(Mode(f)).Append(' ').Append(content.Length)
                    .Append(' ').Append(Hash(content)).Append('\n');
            }
        }
        return sb.ToString();
    }

    public static string Normalise(byte[] data) => LineStamp.Replace(Encoding.Latin1.GetString(data), "@STAMP");
    public static string NormaliseText(string s) => Stamp.Replace(s, "@STAMP");

    static string Hash(string s) => Convert.ToHexString(System.Security.Cryptography.SHA1.HashData(Encoding.Latin1.GetBytes(s)))[..12];

    public static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8);

    /// <summary>Runs both programs on the same input in fresh directories; asserts the same exit
    /// code, the same stderr and the same directory contents; returns our directory's snapshot.</summary>
    public static string SameAsDebian(byte[] input, params string[] script) => SameAsDebian(null, input, script);

    /// <summary>The same, with setup(dir) preparing each working directory first.</summary>
    public static string SameAsDebian(Action<string> setup, byte[] input, params string[] script)
    {
        using var a = new TempDir();
        using var b = new TempDir();
        Directory.CreateDirectory(a["w"]);
        Directory.CreateDirectory(b["w"]);
        setup?.Invoke(a["w"]);
        setup?.Invoke(b["w"]);
        var theirs = RunFile(Theirs("multilog"), a["w"], input, script);
        var ours = RunFile(Ours("multilog"), b["w"], input, script);
        Xunit.Assert.Equal(NormaliseText(theirs.ToString()), NormaliseText(ours.ToString()));
        var snap = Snapshot(b["w"]);
        Xunit.Assert.Equal(Snapshot(a["w"]), snap);
        return snap;
    }

    /// <summary>Numbered lines "000001 text...\n".</summary>
    public static byte[] Numbered(int count, int width = 40, int from = 0)
    {
        var sb = new StringBuilder();
        for (int i = from; i < from + count; i++)
            sb.Append(i.ToString("D6")).Append(' ').Append('x', Math.Max(0, width - 8)).Append('\n');
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    /// <summary>Every line of the finished files (in name order) then current.</summary>
    public static List<string> AllLines(string dir)
    {
        var files = Directory.GetFiles(dir, "@*").OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (File.Exists(Path.Combine(dir, "current"))) files.Add(Path.Combine(dir, "current"));
        var lines = new List<string>();
        foreach (var f in files)
            lines.AddRange(File.ReadAllText(f, Encoding.Latin1).Split('\n').SkipLast(1));
        return lines;
    }
}

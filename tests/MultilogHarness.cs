// Running Debian's multilog and ours on the same input and comparing what they leave.
#pragma warning disable CA1416 // Linux only: file modes
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
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
        var sh = FromFile(command, InputFile(cwd, input));
        return Run(sh[0], sh[1..].Concat(script), cwd: cwd, timeoutMs: 60000);
    }

    /// <summary>Writes the input beside cwd; returns its path.</summary>
    public static string InputFile(string cwd, byte[] input)
    {
        var inFile = Path.Combine(cwd, "..", Path.GetFileName(cwd) + ".in");
        File.WriteAllBytes(inFile, input);
        return inFile;
    }

    /// <summary>The command run with stdin from a file, by sh.</summary>
    public static string[] FromFile(string[] command, string inFile) =>
        ["/bin/sh", "-c", "f=$1; shift; exec \"$@\" < \"$f\"", "sh", inFile, .. command];

    [DllImport("libc", SetLastError = true)] public static extern int kill(int pid, int sig);
    public const int SIGTERM = 15, SIGALRM = 14;

    /// <summary>multilog running in cwd with its stdin and stderr on pipes.</summary>
    public sealed class Live : IDisposable
    {
        public readonly Process P;
        readonly StringBuilder err = new();
        public Live(string cwd, params string[] script) : this([Ours("multilog")], cwd, script) { }

        /// <summary>multilog run by a command whose last word is multilog.</summary>
        public Live(string[] command, string cwd, params string[] script)
        {
            var psi = new ProcessStartInfo(command[0]) { RedirectStandardInput = true, RedirectStandardError = true, WorkingDirectory = cwd };
            foreach (var a in command[1..]) psi.ArgumentList.Add(a);
            foreach (var a in script) psi.ArgumentList.Add(a);
            P = Process.Start(psi)!;
            P.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (err) err.Append(e.Data).Append('\n'); };
            P.BeginErrorReadLine();
        }
        public string Err { get { lock (err) return err.ToString(); } }
        /// <summary>One write(2) of the text to multilog's stdin.</summary>
        public void Write(string s) { P.StandardInput.BaseStream.Write(Encoding.Latin1.GetBytes(s)); P.StandardInput.BaseStream.Flush(); }
        public int Finish(int timeoutMs = 30000)
        {
            try { P.StandardInput.Close(); } catch (IOException) { }
            Xunit.Assert.True(P.WaitForExit(timeoutMs), "multilog did not exit");
            P.WaitForExit();
            return P.ExitCode;
        }
        /// <summary>True while the process is blocked in read(0, _, count).</summary>
        public bool ReadingFd0(int count) => InSyscall(P.Id, 0, 0, count);
        public void Dispose() { try { if (!P.HasExited) P.Kill(); P.WaitForExit(); } catch { } P.Dispose(); }
    }

    /// <summary>True while process pid is blocked in system call nr on descriptor fd, with a
    /// count argument of count (any count if -1).</summary>
    public static bool InSyscall(int pid, int nr, int fd, int count = -1)
    {
        try
        {
            var f = File.ReadAllText($"/proc/{pid}/syscall").Split(' ');
            return f[0] == nr.ToString() && f[1] == "0x" + fd.ToString("x") && (count == -1 || f[3] == "0x" + count.ToString("x"));
        }
        catch (IOException) { return false; }
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

    /// <summary>A file's bytes as text, one char per byte.</summary>
    public static string Read(string path) => File.ReadAllText(path, Encoding.Latin1);

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

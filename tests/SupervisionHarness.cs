// Helpers for the supervision tests: long-running process trees started in their own process
// groups (killed whole at the end of every test, pass or fail), service directories, and
// reading supervise/status.
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text.RegularExpressions;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public sealed class Tree : IDisposable
{
    public readonly TempDir Dir = new();
    readonly List<int> groups = new();

    /// <summary>Starts argv in a new session and process group (its id is the pid), with
    /// stdin /dev/null and stdout+stderr appended to `output`. Everything it starts that does not
    /// leave the group dies with it in Dispose.</summary>
    public int Start(string cwd, string output, IDictionary<string, string> env, params string[] argv)
    {
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = cwd };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec setsid \"$@\" >>\"$TREE_OUTPUT\" 2>&1 </dev/null");
        psi.ArgumentList.Add("sh");
        foreach (var a in argv) psi.ArgumentList.Add(a);
        psi.Environment["TREE_OUTPUT"] = output;
        if (env != null) foreach (var kv in env) psi.Environment[kv.Key] = kv.Value;
        using var p = Process.Start(psi)!;
        groups.Add(p.Id);
        return p.Id;
    }

    public int Start(string cwd, string output, params string[] argv) => Start(cwd, output, null, argv);

    /// <summary>A process group started elsewhere, killed with the tree.</summary>
    public void Adopt(int pgid) => groups.Add(pgid);

    /// <summary>A service directory NAME under the scratch directory with `run` = the script.</summary>
    public string Service(string name, string script, bool down = false)
    {
        var d = Dir[name];
        Directory.CreateDirectory(d);
        Sv.WriteScript(Path.Combine(d, "run"), script);
        if (down) File.WriteAllText(Path.Combine(d, "down"), "");
        return d;
    }

    public void Dispose()
    {
        foreach (var g in groups) Sh($"kill -KILL -{g} 2>/dev/null; true");
        Dir.Dispose();
    }
}

public static class Sv
{
    public static void WriteScript(string path, string body)
    {
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, (UnixFileMode)0x1ed);
    }

    public static byte[] Status(string dir)
    {
        try { return File.ReadAllBytes(Path.Combine(dir, "supervise", "status")); }
        catch (IOException) { return Array.Empty<byte>(); }
        catch (UnauthorizedAccessException) { return Array.Empty<byte>(); }
    }

    /// <summary>pid from supervise/status, -1 if it cannot be read.</summary>
    public static int Pid(string dir)
    {
        var s = Status(dir);
        return s.Length < 18 ? -1 : s[12] | s[13] << 8 | s[14] << 16 | s[15] << 24;
    }

    public static bool Alive(int pid) => pid > 0 && File.Exists($"/proc/{pid}/status") &&
        !File.ReadAllText($"/proc/{pid}/status").Contains("State:\tZ");

    public static bool Ok(string svok, string dir) => Run(svok, new[] { dir }).Exit == 0;

    public static Result Svc(string svc, params string[] args) => Run(svc, args);

    /// <summary>Process ids whose command line is exactly argv.</summary>
    public static List<int> Find(params string[] argv)
    {
        var want = string.Join('\0', argv) + "\0";
        var r = new List<int>();
        foreach (var p in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(p), out int pid)) continue;
            try { if (File.ReadAllText(Path.Combine(p, "cmdline")) == want) r.Add(pid); } catch { }
        }
        return r;
    }

    /// <summary>An svstat line with the pid and the seconds replaced, for comparing two services.</summary>
    public static string Normalize(string line) =>
        Regex.Replace(Regex.Replace(line, @"pid \d+", "pid N"), @"\d+ seconds", "S seconds");
}

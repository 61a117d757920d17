// Running the built commands and Debian's reference binaries side by side.
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;

namespace Toolkit.Tests;

public sealed record Result(int Exit, string Out, string Err, byte[] OutBytes)
{
    public override string ToString() => $"exit {Exit}\n--- stdout\n{Out}\n--- stderr\n{Err}";
}

public static class Harness
{
    public static readonly string Root = FindRoot();

    static string FindRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d != null && !File.Exists(Path.Combine(d.FullName, "Toolkit.sln"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("Toolkit.sln not found above the test binaries");
    }

    /// <summary>A command that runs its arguments with TERM, USR1, CHLD, PIPE and ALRM blocked and
    /// HUP, INT, PIPE, TERM, USR2, ALRM (and CHLD if ignoreChild) ignored: the signal state a
    /// program can inherit. (A shell or perl as the program would reset an ignored CHLD.)</summary>
    public static string[] TamperedSignals(bool ignoreChild = true) => ["perl", "-MPOSIX", "-e",
        "sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGTERM, SIGUSR1, SIGCHLD, SIGPIPE, SIGALRM)) or die; " +
        $"$SIG{{$_}} = \"IGNORE\" for qw(HUP INT PIPE TERM USR2 ALRM{(ignoreChild ? " CHLD" : "")}); exec @ARGV or die"];

    /// <summary>TamperedSignals() as the start of a shell command line.</summary>
    public static string TamperedSignalsCommand => string.Join(" ", TamperedSignals()[..3]) + $" '{TamperedSignals()[3]}'";

    /// <summary>Path of one of our commands; the build (make) must have produced it.</summary>
    public static string Ours(string name)
    {
        var p = Path.Combine(Root, "command", name);
        if (!File.Exists(p)) throw new FileNotFoundException($"{p} is missing: run make first");
        return p;
    }

    /// <summary>Path of Debian's binary. Missing reference binaries fail the test: CI installs them.</summary>
    public static string Theirs(string name)
    {
        foreach (var dir in new[] { "/usr/bin", "/usr/sbin", "/bin" })
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"reference binary {name} not installed (apt-get install daemontools ucspi-tcp)");
    }

    /// <summary>Path of a binary of Debian's ucspi-tcp-ipv6, which make test unpacks under obj/ref
    /// (the package conflicts with ucspi-tcp). Missing, it fails the test.</summary>
    public static string TheirsIpv6(string name)
    {
        var p = Path.Combine(Root, "obj", "ref", "ucspi-tcp-ipv6", "usr", "bin", name);
        if (!File.Exists(p)) throw new FileNotFoundException($"{p} is missing: make test unpacks Debian's ucspi-tcp-ipv6 there (apt-get download ucspi-tcp-ipv6)");
        return p;
    }

    public static Result Run(string exe, IEnumerable<string> args, string stdin = null, string cwd = null,
        IDictionary<string, string> env = null, bool clearEnv = false, int timeoutMs = 20000, byte[] stdinBytes = null)
    {
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = cwd ?? Path.GetTempPath(),
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (clearEnv) psi.Environment.Clear();
        if (env != null) foreach (var kv in env)
            if (kv.Value == null) psi.Environment.Remove(kv.Key); else psi.Environment[kv.Key] = kv.Value;
        using var p = Process.Start(psi)!;
        var stdout = new MemoryStream();
        var outTask = p.StandardOutput.BaseStream.CopyToAsync(stdout);
        var errTask = p.StandardError.ReadToEndAsync();
        try
        {
            if (stdinBytes != null) p.StandardInput.BaseStream.Write(stdinBytes);
            else if (stdin != null) p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        catch (IOException) { }
        if (!p.WaitForExit(timeoutMs))
        {
            try { p.Kill(true); } catch { }
            throw new TimeoutException($"{exe} {string.Join(' ', args)} did not finish in {timeoutMs} ms");
        }
        outTask.Wait(timeoutMs);
        errTask.Wait(timeoutMs);
        var bytes = stdout.ToArray();
        return new Result(p.ExitCode, Encoding.Latin1.GetString(bytes), errTask.Result, bytes);
    }

    /// <summary>Runs `sh -c script` with the given environment; the script can use $OURS and $THEIRS.</summary>
    public static Result Sh(string script, string cwd = null, IDictionary<string, string> env = null, string stdin = null,
        int timeoutMs = 20000) => Run("/bin/sh", new[] { "-c", script }, stdin, cwd, env, timeoutMs: timeoutMs);

    /// <summary>Waits until the condition holds or the deadline passes (never a fixed sleep alone).</summary>
    public static bool WaitFor(Func<bool> condition, int timeoutMs = 10000)
    {
        var sw = Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < timeoutMs)
        {
            if (condition()) return true;
            Thread.Sleep(20);
        }
        return condition();
    }
}

/// <summary>A scratch directory removed after the test.</summary>
public sealed class TempDir : IDisposable
{
    public readonly string Path;
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tk-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }
    public string this[string name] => System.IO.Path.Combine(Path, name);
    public string Write(string name, string content)
    {
        var p = this[name];
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        File.WriteAllText(p, content);
        return p;
    }
    public void Dispose()
    {
        try { Process.Start("chmod", new[] { "-R", "u+rwx", Path })!.WaitForExit(); } catch { }
        try { Directory.Delete(Path, true); } catch { }
    }
}

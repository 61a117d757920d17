// Seeded differential fuzzing: random cases for multilog, tcprules with tcprulescheck (and
// tcprulescheck on our cdbs of CIDR blocks), cdbmake, tai64nlocal, envdir and svstat, each run
// by Debian's program and by ours and compared on exit code, output and the files left.
// FUZZ_CASES (cases per area) and FUZZ_SEED choose the campaign: small defaults for the suite,
// `make fuzz CASES=5000 SEED=7` for a long one; FUZZ_FIRST skips to a case, FUZZ_SHOW sets how
// many failures are shown. A failing case is printed as a shell snippet that reproduces it.
#pragma warning disable CA1416 // Linux only: file modes
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public class DifferentialFuzzTests
{
    static readonly int Cases = Setting("FUZZ_CASES", 20);
    static readonly int Seed = Setting("FUZZ_SEED", 20261202);
    /// <summary>The first case's number: FUZZ_FIRST=N FUZZ_CASES=1 runs case N alone.</summary>
    static readonly int First = Setting("FUZZ_FIRST", 0);
    /// <summary>How many failing cases a run prints in full (all are counted and listed).</summary>
    static readonly int Shown = Setting("FUZZ_SHOW", 3);

    static int Setting(string name, int otherwise) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var v) ? v : otherwise;

    [Fact] public void Multilog() => Campaign("multilog", FuzzMultilog.Case);
    [Fact] public void TcprulesAndTcprulescheck() => Campaign("tcprules", FuzzCdb.RulesCase);
    [Fact] public void TcprulesCidrBlocks() => Campaign("tcprules-cidr", FuzzCdb.RulesCidrCase);
    [Fact] public void Cdbmake() => Campaign("cdbmake", FuzzCdb.MakeCase);
    [Fact] public void Tai64nlocal() => Campaign("tai64nlocal", FuzzChainload.Tai64nlocalCase);
    [Fact] public void Envdir() => Campaign("envdir", FuzzChainload.EnvdirCase);
    [Fact] public void Svstat() => Campaign("svstat", FuzzChainload.SvstatCase);

    /// <summary>Runs Cases cases of one area, case i from its own seed (so that any case can be
    /// rebuilt from FUZZ_SEED and its number); fails listing every case that differed.</summary>
    static void Campaign(string area, Func<Random, FuzzCase> generate)
    {
        int salt = area.Aggregate(0, (h, ch) => h * 31 + ch);
        var failed = new List<int>();
        var report = new StringBuilder();
        for (int i = First; i < First + Cases; i++)
        {
            var c = generate(new Random(unchecked(Seed * 1_000_003 + salt * 10_007 + i)));
            var difference = c.Check();
            if (difference == null) continue;
            failed.Add(i);
            if (failed.Count <= Shown)
                report.Append($"\n===== {area} case {i} (FUZZ_SEED={Seed}): {difference}\n----- reproduce with:\n{c.Snippet(area, i, Seed)}");
        }
        Assert.True(failed.Count == 0,
            $"{failed.Count} of {Cases} {area} cases differ (FUZZ_SEED={Seed}): {string.Join(' ', failed)}{report}");
    }
}

/// <summary>One program run in a case: Program is a command name (Debian's /usr/bin/NAME against
/// our command/NAME) or an absolute path (the same tool for both); stdin is the parts, each
/// repeated, in order, or the file From of the case directory.</summary>
public sealed record Step(string Program, string[] Args, Dictionary<string, string> Env = null,
    List<(byte[] text, int times)> Stdin = null, string From = null)
{
    public string Redirect => From == null ? "../stdin" : From;

    public byte[] Input() => Stdin == null ? [] : Stdin.SelectMany(p => Enumerable.Repeat(p.text, p.times).SelectMany(b => b)).ToArray();
}

/// <summary>A generated case: a directory to set up, the steps to run in it, and how to compare.</summary>
public sealed class FuzzCase
{
    /// <summary>Set-up in order: 'd' directory, 'f' file (data), 'l' symlink (data: the target), 'p' fifo.</summary>
    public readonly List<(char kind, string path, byte[] data)> Entries = new();
    public readonly List<Step> Steps = new();
    /// <summary>Both programs run in one directory (they change nothing in it).</summary>
    public bool Shared;
    /// <summary>The output depends on the clock (in shared mode): each line of ours may also be
    /// that of Debian's run just after, and a mismatch is tried again, up to 3 times.</summary>
    public bool Clocked;
    const int ClockedAttempts = 3;
    public Func<string, string> Normal = s => s;
    /// <summary>A description of the directory after the steps; null: not compared.</summary>
    public Func<string, string> Files;
    /// <summary>What ours must print given Debian's result and the directory (a documented
    /// difference); null: Normal of Debian's.</summary>
    public Func<Step, Result, string, string> Expected;

    public FuzzCase File(string path, byte[] data) { Entries.Add(('f', path, data)); return this; }
    public FuzzCase Dir(string path) { Entries.Add(('d', path, null)); return this; }
    public FuzzCase Link(string path, string target) { Entries.Add(('l', path, Encoding.Latin1.GetBytes(target))); return this; }
    public FuzzCase Fifo(string path) { Entries.Add(('p', path, null)); return this; }

    static readonly Dictionary<string, string> BaseEnv = new() { ["PATH"] = "/usr/bin:/bin" };

    /// <summary>Null if both implementations agree, else what differed.</summary>
    public string Check()
    {
        using var t = new TempDir();
        string[] dirs = Shared ? [t["case"], t["case"]] : [t["theirs/case"], t["ours/case"]];
        foreach (var d in dirs.Distinct()) Build(d);
        for (int i = 0; i < Steps.Count; i++)
        {
            var step = Steps[i];
            string theirExe = step.Program.StartsWith('/') ? step.Program : Theirs(step.Program);
            string ourExe = step.Program.StartsWith('/') ? step.Program : Ours(step.Program);
            for (int attempt = 1; ; attempt++)
            {
                var theirs = Play(step, theirExe, dirs[0]);
                var got = Normal(Play(step, ourExe, dirs[1]).ToString());
                var expected = Expected?.Invoke(step, theirs, dirs[0]) ?? Normal(theirs.ToString());
                if (expected == got) break;
                if (Clocked && LineByLineBetween(expected, got, Normal(Play(step, theirExe, dirs[0]).ToString()))) break;
                if (!Clocked || attempt == ClockedAttempts)
                    return $"step {i + 1} ({step.Program})\n--- Debian's\n{expected}\n--- ours\n{got}";
            }
        }
        if (Files == null) return null;
        var theirFiles = Files(dirs[0]);
        var ourFiles = Files(dirs[1]);
        return theirFiles == ourFiles ? null : $"files\n--- Debian's\n{theirFiles}\n--- ours\n{ourFiles}";
    }

    /// <summary>Whether each line of got is that of before or of after: read from the clock
    /// between the two, it can only be one or the other as long as they differ by one tick.</summary>
    static bool LineByLineBetween(string before, string got, string after)
    {
        string[] b = before.Split('\n'), g = got.Split('\n'), a = after.Split('\n');
        return b.Length == g.Length && a.Length == g.Length && g.Select((line, i) => line == b[i] || line == a[i]).All(x => x);
    }

    void Build(string dir)
    {
        Directory.CreateDirectory(dir);
        foreach (var (kind, path, data) in Entries)
        {
            var p = Path.Combine(dir, path);
            switch (kind)
            {
                case 'd': Directory.CreateDirectory(p); break;
                case 'f': System.IO.File.WriteAllBytes(p, data); break;
                case 'l': System.IO.File.CreateSymbolicLink(p, Encoding.Latin1.GetString(data)); break;
                case 'p': Assert.Equal(0, Run("mkfifo", [p]).Exit); break;
            }
        }
    }

    /// <summary>Runs one step in dir, stdin from a regular file (so that reads, and multilog's
    /// flush points, are the same for both), in an environment of BaseEnv and the step's.</summary>
    public static Result Play(Step step, string exe, string dir)
    {
        System.IO.File.WriteAllBytes(Path.Combine(dir, "..", "stdin"), step.Input());
        var env = new Dictionary<string, string>(BaseEnv);
        foreach (var kv in step.Env ?? new()) env[kv.Key] = kv.Value;
        // The shell is $0 so that its own complaints (a missing stdin file) name neither program.
        return Run("/bin/sh", ["-c", $"p=$1; shift; exec \"$p\" \"$@\" < {step.Redirect}", "sh", exe, .. step.Args], cwd: dir, env: env,
            clearEnv: true, timeoutMs: 60000);
    }

    /// <summary>The case as sh commands: the steps run with Debian's programs, then ours, each
    /// in a fresh directory, printing results and the files left.</summary>
    public string Snippet(string area, int index, int seed)
    {
        var sb = new StringBuilder($"# {area} case {index} of FUZZ_SEED={seed}: Debian's programs, then ours\n");
        sb.Append("r() { i=0; while [ $i -lt $1 ]; do printf \"$2\"; i=$((i+1)); done; }\n");
        sb.Append($"for impl in /usr/bin {Q(Path.Combine(Harness.Root, "command"))}; do\n");
        sb.Append("  echo \"=== $impl\"; top=$(mktemp -d); mkdir \"$top/case\"; cd \"$top/case\" || exit 1\n");
        foreach (var (kind, path, data) in Entries)
            sb.Append(kind switch
            {
                'd' => $"  mkdir -p {Q(path)}\n",
                'f' => $"  printf '{Escape(data)}' > {Q(path)}\n",
                'l' => $"  ln -s {Q(Encoding.Latin1.GetString(data))} {Q(path)}\n",
                _ => $"  mkfifo {Q(path)}\n",
            });
        foreach (var step in Steps)
        {
            sb.Append("  { :");
            foreach (var (text, times) in step.Stdin ?? new()) sb.Append($"; r {times} '{Escape(text)}'");
            sb.Append("; } > ../stdin\n  env -i");
            foreach (var kv in BaseEnv.Concat(step.Env ?? new())) sb.Append(' ').Append(Q($"{kv.Key}={kv.Value}"));
            sb.Append(' ').Append(step.Program.StartsWith('/') ? Q(step.Program) : $"\"$impl/{step.Program}\"");
            foreach (var a in step.Args) sb.Append(' ').Append(Q(a));
            sb.Append($" < {Q(step.Redirect)}; echo \"exit $?\"\n");
        }
        if (Files != null)
            sb.Append("  find . | sort | while read -r f; do ls -ld \"$f\"; [ -f \"$f\" ] && od -c \"$f\" | head -20; done\n");
        sb.Append("  cd /; rm -rf \"$top\"\ndone\n");
        return sb.ToString();
    }

    static string Q(string s) => "'" + s.Replace("'", "'\\''") + "'";

    /// <summary>Bytes as a printf format in single quotes: printable ASCII as is, the rest octal.</summary>
    static string Escape(byte[] data)
    {
        var sb = new StringBuilder();
        foreach (var b in data)
            if (b >= 0x20 && b < 0x7f && b != '\'' && b != '%' && b != '\\') sb.Append((char)b);
            else sb.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0'));
        return sb.ToString();
    }

    /// <summary>Every entry below dir: type, path, mode, size and a hash of the contents (not
    /// for files matching skipContent, whose partial contents after a failure may differ).</summary>
    public static string Listing(string dir, string skipContent = null)
    {
        var sb = new StringBuilder();
        foreach (var p in Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories).OrderBy(p => p, StringComparer.Ordinal))
        {
            var info = new FileInfo(p);
            var name = Path.GetRelativePath(dir, p);
            sb.Append(info.LinkTarget != null ? 'l' : info.Attributes.HasFlag(FileAttributes.Directory) ? 'd' : 'f')
              .Append(' ').Append(name).Append(' ').Append(MultilogHarness.Mode(p));
            if (info.LinkTarget == null && !info.Attributes.HasFlag(FileAttributes.Directory) &&
                (skipContent == null || !Regex.IsMatch(name, skipContent)))
                sb.Append(' ').Append(info.Length).Append(' ')
                  .Append(Convert.ToHexString(System.Security.Cryptography.SHA1.HashData(System.IO.File.ReadAllBytes(p)))[..12]);
            sb.Append('\n');
        }
        return sb.ToString();
    }
}

/// <summary>Random bytes and choices shared by the generators.</summary>
public static class FuzzText
{
    public static T Pick<T>(this Random r, params T[] choices) => choices[r.Next(choices.Length)];

    public static byte[] Bytes(this Random r, int length, string alphabet) =>
        Enumerable.Range(0, length).Select(_ => (byte)alphabet[r.Next(alphabet.Length)]).ToArray();

    public static string Text(this Random r, int length, string alphabet) =>
        Encoding.Latin1.GetString(r.Bytes(length, alphabet));

    /// <summary>A length that is mostly small and sometimes large: lines and values of every size.</summary>
    public static int Length(this Random r) => r.Next(10) switch
    {
        < 4 => r.Next(10),
        < 8 => 10 + r.Next(90),
        8 => 150 + r.Next(110),
        _ => r.Next(5) == 0 ? 2000 + r.Next(4000) : 900 + r.Next(200),
    };

    public static byte[] B(string s) => Encoding.Latin1.GetBytes(s);
}

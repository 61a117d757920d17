// Differential tests: the chain-loading tools and the timestamp tools against Debian's
// daemontools. Most tests run one shell script twice, with $D naming Debian's directory
// (/usr/bin) and then ours (command/), and require identical results.
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public class ChainloadTests
{
    static string OurDir => Path.GetDirectoryName(Ours("setuidgid"))!;
    static string TheirDir => Path.GetDirectoryName(Theirs("setuidgid"))!;

    /// <summary>Runs script with D=Debian's directory, then D=ours, in copies of the same setup.</summary>
    /// <summary>With shared set, both runs use one directory (for scripts that only read it:
    /// directory order then is the same for both).</summary>
    static (Result theirs, Result ours) Both(string script, Action<TempDir> setup = null, string stdin = null,
        Dictionary<string, string> env = null, bool shared = false)
    {
        using var common = shared ? new TempDir() : null;
        if (shared) setup?.Invoke(common);
        Result RunWith(string d)
        {
            using var own = shared ? null : new TempDir();
            if (!shared) setup?.Invoke(own);
            var e = new Dictionary<string, string>(env ?? new()) { ["D"] = d, ["PATH"] = "/usr/bin:/bin" };
            return Sh(script, (common ?? own).Path, e, stdin);
        }
        return (RunWith(TheirDir), RunWith(OurDir));
    }

    static Result Same(string script, Action<TempDir> setup = null, string stdin = null, Dictionary<string, string> env = null,
        bool shared = false)
    {
        var (theirs, ours) = Both(script, setup, stdin, env, shared);
        Assert.Equal(theirs.ToString(), ours.ToString());
        return ours;
    }

    [Theory]
    [InlineData("setuidgid")]
    [InlineData("setuidgid root")]
    [InlineData("envuidgid")]
    [InlineData("envuidgid nobody")]
    [InlineData("envdir")]
    [InlineData("envdir .")]
    [InlineData("softlimit")]
    [InlineData("softlimit -z true")]
    [InlineData("softlimit -m")]
    [InlineData("softlimit -m 100")]
    [InlineData("softlimit -m 12x true")]
    [InlineData("softlimit -m -5 true")]
    [InlineData("softlimit -- true")]
    [InlineData("softlimit - true")]
    [InlineData("softlimit -mz true")]
    [InlineData("setlock")]
    [InlineData("setlock f")]
    [InlineData("setlock -z f true")]
    [InlineData("setlock -nq f true")]
    [InlineData("pgrphack")]
    [InlineData("fghack")]
    [InlineData("readproctitle")]
    [InlineData("readproctitle x abcd")]
    public void UsageAndBadOptions(string cmd) => Same("$D/" + cmd);

    [Theory]
    [InlineData("setuidgid nosuchaccount true")]
    [InlineData("envuidgid nosuchaccount true")]
    [InlineData("setuidgid 'bad:name' true")]
    [InlineData("setuidgid root /nonexistent/x")]
    [InlineData("setuidgid root nosuchprogram")]
    [InlineData("envuidgid root nosuchprogram")]
    [InlineData("envdir nodir true")]
    [InlineData("envdir file true")]
    [InlineData("envdir . nosuchprogram")]
    [InlineData("softlimit -m 30000000 nosuchprogram")]
    [InlineData("setlock nodir/f true")]
    [InlineData("setlock -x nodir/f true; echo $?")]
    [InlineData("setlock f nosuchprogram")]
    [InlineData("pgrphack nosuchprogram")]
    [InlineData("fghack nosuchprogram")]
    [InlineData("setuidgid root ./file")]
    [InlineData("setuidgid root .")]
    public void ErrorPaths(string cmd) => Same("$D/" + cmd, t => t.Write("file", "x"));

    [Fact]
    public void PathSearchUsesTheOriginalPathAndReportsTheLastRealError()
    {
        // envdir sets PATH for the child's environment, but the search uses the original PATH.
        Same("mkdir e; echo /nonexistent > e/PATH; $D/envdir e sh -c 'echo $PATH'");
        Same("mkdir d; : > d/prog; PATH=/nonexistent:$PWD/d:/also/not $D/setuidgid root prog");
        Same("PATH= $D/setuidgid root prog", t => { File.WriteAllText(t["prog"], "#!/bin/sh\necho found in cwd\n"); Chmod(t["prog"], "755"); });
        Same("unset PATH; $D/setuidgid root true; echo $?");
    }

    [Theory]
    [InlineData("root")]
    [InlineData("nobody")]
    [InlineData("daemon")]
    [InlineData("www-data")]
    [InlineData("systemd-network")]
    public void SetuidgidGivesTheAccountsIdsAndOnlyItsGroup(string account)
    {
        var ours = Same($"$D/setuidgid {account} id; $D/setuidgid {account} sh -c 'grep -E \"^(Uid|Gid|Groups)\" /proc/self/status'");
        Assert.Contains("Groups:", ours.Out);
    }

    [Fact]
    public void EnvuidgidSetsGidThenUidReplacingExistingOnes()
    {
        var env = new Dictionary<string, string> { ["UID"] = "12", ["A"] = "1", ["GID"] = "x" };
        var ours = Same("env -i A=1 UID=12 B=2 GID=x PATH=/usr/bin:/bin $D/envuidgid nobody env", env: env);
        Assert.Contains("UID=65534", ours.Out);
    }

    static byte[] Junk(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    static void Chmod(string path, string mode) => Run("/bin/chmod", new[] { mode, path });

    static void EnvdirSetup(TempDir t)
    {
        var e = t["e"];
        Directory.CreateDirectory(e);
        File.WriteAllText(Path.Combine(e, "TRAIL"), "value \t \t\nsecond line\n");
        File.WriteAllText(Path.Combine(e, "REMOVED"), "");
        File.WriteAllText(Path.Combine(e, "EMPTYLINE"), "\nnext\n");
        File.WriteAllBytes(Path.Combine(e, "NULS"), new byte[] { (byte)'a', 0, (byte)'b', 0, 0, (byte)' ' });
        File.WriteAllText(Path.Combine(e, ".HIDDEN"), "x");
        File.WriteAllText(Path.Combine(e, "NONEWLINE"), "last");
        File.WriteAllText(Path.Combine(e, "OVERRIDE"), "new");
        File.WriteAllText(Path.Combine(e, "SPACES  "), "name with spaces");
        File.WriteAllText(Path.Combine(e, "A=B"), "equals in name");
        File.WriteAllText(Path.Combine(e, "LONG"), new string('x', 100_000) + "\n");
        var junk = new byte[4096];
        new Random(7).NextBytes(junk);
        File.WriteAllBytes(Path.Combine(e, "JUNK"), junk);
        File.CreateSymbolicLink(Path.Combine(e, "DANGLING"), "/nonexistent/target");
    }

    [Fact]
    public void EnvdirEnvironmentIsByteIdentical()
    {
        var ours = Same("env -i REMOVED=r OVERRIDE=old DANGLING=d KEEP=k A=a PATH=/usr/bin:/bin $D/envdir e env", EnvdirSetup, shared: true);
        Assert.Contains("TRAIL=value\n", ours.Out);
        Assert.DoesNotContain("REMOVED", ours.Out);
        Assert.DoesNotContain("HIDDEN", ours.Out);
        Assert.Contains("NULS=a\nb\n\n", ours.Out);
    }

    [Theory]
    [InlineData("mkdir e; ln -s loop e/loop; $D/envdir e true")]
    [InlineData("mkdir -p e/sub; $D/envdir e true")]
    [InlineData("mkdir e; echo x > e/SECRET; chmod 000 e/SECRET; $D/setuidgid nobody $D/envdir e true")]
    [InlineData("mkdir e; chmod 000 e; $D/setuidgid nobody $D/envdir e true")]
    [InlineData("mkdir e; chmod 100 e; $D/setuidgid nobody $D/envdir e true")]
    public void EnvdirReadErrors(string script) => Same(script);

    [Fact]
    public void SoftlimitChildSeesExactlyTheLimitsSet()
    {
        Same("$D/softlimit -a 300000000 -c 0 -d 200000000 -f 1000000 -l 65536 -o 100 -p 500 -r 10000000 -s 1000000 -t 100 cat /proc/self/limits");
        Same("$D/softlimit -m 30000000 cat /proc/self/limits");
        Same("$D/softlimit -m 30000000 -s 2000000 -m = -d 40000000 cat /proc/self/limits");
        Same("$D/softlimit -o 99999999999999999999999 -c 18446744073709551615 -t 18446744073709551615 -s 99999999999999999999 cat /proc/self/limits");
        Same("$D/softlimit -p = -o = cat /proc/self/limits");
        // limits set by Debian's softlimit pass through our tools unchanged
        Same("mkdir e; /usr/bin/softlimit -a 300000000 -c 0 -d 200000000 -f 1000000 -l 65536 -o 100 -p 500 -r 10000000 -s 1000000 -t 100 $D/envdir e $D/setuidgid nobody cat /proc/self/limits");
    }

    [Fact]
    public void SoftlimitChainShowsTheLimits()
    {
        var ours = Same("mkdir env; echo v > env/V; $D/softlimit -m 30000000 $D/envdir env $D/setuidgid nobody sh -c 'ulimit -a; echo $V'");
        Assert.Contains("29296", ours.Out);
    }

    public static IEnumerable<object[]> AllTools() => new[]
    {
        "setuidgid nobody true", "envuidgid nobody true", "envdir e true", "softlimit -t 100 true",
        "setlock f true", "pgrphack true", "fghack true", "readproctitle x ..........",
        "tai64n", "tai64nlocal", "multilog t ./log", "svstat .", "svc -u e 2>/dev/null", "addcr", "delcr",
        "argv0 /bin/true x", "fixcrio cat", "recordio cat 2>/dev/null", "tcprules r.cdb r.tmp",
        "cdbmake c.cdb c.tmp", "qmailctl help",
    }.Select(c => new object[] { c });

    /// <summary>Every program (those that do not run forever) under the limit, through both softlimits.</summary>
    [Theory]
    [MemberData(nameof(AllTools))]
    public void StartsUnderSoftlimitM5000000(string cmd)
    {
        foreach (var softlimit in new[] { Theirs("softlimit"), Ours("softlimit") })
        {
            using var t = new TempDir();
            Directory.CreateDirectory(t["e"]);
            var input = cmd.StartsWith("cdbmake") ? "+1,1:a->b\n\n" : cmd.StartsWith("tcprules") ? "1.2.3.4:deny\n" : "line\n";
            // printf's own complaint when the program exits without reading is not the program's
            var r = Sh($"{{ printf '{input}' 2>/dev/null; }} | {softlimit} -m 5000000 {OurDir}/{cmd} >/dev/null; echo rc=$?", t.Path);
            Assert.Contains("rc=0", r.Out);
            Assert.Equal("", r.Err);
        }
    }

    /// <summary>Servers started under the limit through both softlimits accept and serve.</summary>
    [Fact]
    public void ServersStartUnderSoftlimitM5000000()
    {
        foreach (var softlimit in new[] { Theirs("softlimit"), Ours("softlimit") })
        {
            using var t = new TempDir();
            Directory.CreateDirectory(t["s"]);
            t.Write("s/run", "#!/bin/sh\necho up > ../up\nexec sleep 100\n");
            Sh($"chmod 755 {t["s/run"]}");
            var r = Sh($"{softlimit} -m 5000000 {OurDir}/tcpserver -1 -RHl0 127.0.0.1 0 sh -c 'ulimit -v' > port & tp=$!; " +
                       "i=0; while [ ! -s port ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i+1)); done; " +
                       $"{OurDir}/tcpclient -RHl0 127.0.0.1 $(cat port) sh -c 'cat <&6'; " +
                       $"setsid {softlimit} -m 5000000 {OurDir}/supervise s & sp=$!; " +
                       "i=0; while [ ! -f up ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i+1)); done; cat up; " +
                       $"{OurDir}/svc -dx s; wait $sp; echo supervise=$?; kill $tp", t.Path);
            Assert.Equal("4882\nup\nsupervise=0\n", r.Out);
        }
    }

    [Fact]
    public void ChainUnderSoftlimitM5000000SeesTheLimit()
    {
        using var t2 = new TempDir();
        Directory.CreateDirectory(t2["e"]);
        var chain = Sh($"{Theirs("softlimit")} -m 5000000 {OurDir}/envdir e {OurDir}/softlimit -d 4000000 {OurDir}/setuidgid nobody sh -c 'ulimit -v; ulimit -d'", t2.Path);
        Assert.Equal("4882\n3906\n", chain.Out);
    }

    [Fact]
    public void ChainToolsLeaveNoTrace()
    {
        // Same pid as the process started, and the same descriptors as the C chain.
        var script = "mkdir e; exec $D/envdir e $D/softlimit -m 30000000 $D/setuidgid nobody $D/setlock f $D/pgrphack sh -c 'echo $$; ls -l /proc/$$/fd | awk \"NR>1 {print \\$9, \\$10, \\$11}\"'";
        var ours = Same(script.Replace("echo $$;", "") );
        var r = Run("/bin/sh", new[] { "-c", $"cd {Path.GetTempPath()}; mkdir -p tk-pid-$$; cd tk-pid-$$; mkdir -p e; echo $$; exec {OurDir}/envdir e {OurDir}/setuidgid nobody sh -c 'echo $$'; " });
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(lines[0], lines[1]);
        Assert.DoesNotContain("socket", ours.Out);
    }

    [Fact]
    public void SetlockExcludesTheOtherImplementation()
    {
        foreach (var (holder, contender) in new[] { (TheirDir, OurDir), (OurDir, TheirDir) })
        {
            using var t = new TempDir();
            var r = Sh($"{holder}/setlock f sh -c 'echo held > ready; exec sleep 30' >/dev/null & pid=$!; " +
                       "i=0; while [ ! -f ready ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i+1)); done; " +
                       $"{contender}/setlock -n f echo got; echo rc=$?; {contender}/setlock -nx f echo got; echo rc=$?; " +
                       "kill $pid; wait", t.Path);
            Assert.Equal("rc=111\nrc=0\n", r.Out);
            Assert.Equal("setlock: fatal: unable to lock f: temporary failure\n", r.Err);
        }
        // A waiting setlock gets the lock once the other implementation lets go.
        using var t2 = new TempDir();
        var w = Sh($"{TheirDir}/setlock f sh -c 'touch ready; sleep 0.5; echo first' & " +
                   "i=0; while [ ! -f ready ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i+1)); done; " +
                   $"{OurDir}/setlock f echo second; wait", t2.Path);
        Assert.Equal("first\nsecond\n", w.Out);
    }

    [Fact]
    public void SetlockNeverTruncatesAndCreatesMode0600()
    {
        Same("echo keep > f; $D/setlock f true; cat f; $D/setlock g true; stat -c %a g");
    }

    [Fact]
    public void PgrphackStartsANewSession() =>
        Same("$D/pgrphack sh -c 'read pid comm state ppid pgrp session rest < /proc/self/stat; [ $session = $$ ] && echo leader'");

    [Fact]
    public void FghackWaitsForEveryHolderAndPassesTheExitCode()
    {
        Same("$D/fghack sh -c 'exit 7'; echo rc=$?");
        Same("$D/fghack sh -c 'kill -9 $$'; echo rc=$?");
        Same("$D/fghack sh -c '(sleep 0.3; echo late > late) & exit 0'; cat late");
        // the child holds the pipe on 31 descriptors (the original and 30 copies)
        var r = Same("$D/fghack sh -c 'ls -l /proc/$$/fd' | awk '{print $11}' | grep pipe: | sort | uniq -c | sort -rn | head -1 | awk '{print $1}'");
        Assert.Equal("31\n", r.Out);
    }

    [Fact]
    public void Tai64nStampsEachLineAndKeepsAPartialLast()
    {
        var ours = Run(Ours("tai64n"), new string[0], "one\ntwo\n\nlast");
        var lines = ours.Out.Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.All(lines, l => Assert.Matches("^@4000000[0-9a-f]{17} ", l));
        Assert.EndsWith(" last", lines[3]);
        Assert.Equal("", ours.Err);
        Assert.Equal(0, ours.Exit);
        Assert.Equal("", Run(Ours("tai64n"), new string[0], "").Out);
    }

    [Fact]
    public void Tai64nlocalMatchesDebianInAFixedZone()
    {
        var input = "@400000005f5e10000000000a hello\n@4000000000000000000003e8 epoch\n" +
                    "@400000006a0c4bff3b9ac9ff x\nplain line\n@400000005f5e1000ffffffff big\n" +
                    "@40000000000000010000000a one\n\nno newline at end";
        foreach (var tz in new[] { "UTC", "Europe/Moscow", "America/New_York", "Asia/Shanghai" })
        {
            var env = new Dictionary<string, string> { ["TZ"] = tz };
            var theirs = Run(Theirs("tai64nlocal"), new string[0], input, env: env);
            var ours = Run(Ours("tai64nlocal"), new string[0], input, env: env);
            Assert.Equal(theirs.ToString(), ours.ToString());
        }
    }

    /// <summary>The documented difference: djb's year wraps past 2^31 - 1 (1900 + tm_year in an int).</summary>
    [Fact]
    public void Tai64nlocalPrintsTheTrueYearWhereDjbsWraps()
    {
        const string input = "@40f0c2ab7c54a9890999ef0f x\n";
        var utc = new Dictionary<string, string> { ["TZ"] = "UTC" };
        Assert.Equal("18446744071562069867-12-31 23:59:59.161083151 x\n", Run(Theirs("tai64nlocal"), new string[0], input, env: utc).Out);
        Assert.Equal("2147485547-12-31 23:59:59.161083151 x\n", Run(Ours("tai64nlocal"), new string[0], input, env: utc).Out);
    }

    [Theory]
    [InlineData("@", "")]
    [InlineData("@\n", "@\n")]
    [InlineData("@zz x\n", "@zz x\n")]
    [InlineData("@ffffffffffffffffffffffff y\n", "@ffffffffffffffffffffffff y\n")]
    [InlineData("@4000000\n", "@4000000\n")]
    [InlineData("@400000005f5e1000000000001 extra digit\n", "@400000005f5e1000000000001 extra digit\n")]
    [InlineData("@4000000005f5e100 short\n", "@4000000005f5e100 short\n")]
    [InlineData("@0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0 long\n",
                "@0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0 long\n")]
    public void Tai64nlocalPassesMalformedStampsThrough(string input, string expected)
    {
        // Debian's tai64nlocal crashes on these (localtime fails); ours prints them unchanged.
        var ours = Run(Ours("tai64nlocal"), new string[0], input, env: new Dictionary<string, string> { ["TZ"] = "UTC" });
        Assert.Equal(0, ours.Exit);
        Assert.Equal(expected, ours.Out);
    }

    [Fact]
    public void ReadproctitleShowsTheLatestBytesInPs()
    {
        string Title(string dir, string input, string last)
        {
            using var t = new TempDir();
            File.WriteAllText(t["in"], input);
            var r = Sh($"mkfifo p; {dir}/readproctitle service errors: {last} < p & pid=$!; exec 3>p; cat in >&3; " +
                       "i=0; while [ $i -lt 200 ]; do t=$(tr '\\0' '|' < /proc/$pid/cmdline); case \"$t\" in *\"$(tail -c 3 in | tr -d '\\0\\n')\"*) break;; esac; sleep 0.02; i=$((i+1)); done; " +
                       "tr '\\0' '|' < /proc/$pid/cmdline | cut -d'|' -f2-; echo; ps -o comm= -p $pid; exec 3>&-; wait $pid; echo rc=$?", t.Path);
            return r.Out;
        }
        foreach (var (input, last) in new[] { ("hello\nworld", ".........."), ("abcdefghijklmnop", "abcdefgh"), ("x\0y\0z", "....."), ("svscan: warning: x", new string('.', 40)) })
        {
            var theirs = Title(TheirDir, input, last);
            var ours = Title(OurDir, input, last);
            Assert.Equal(theirs, ours);
            Assert.Contains("readproctitle", ours);
        }
    }

    [Fact]
    public void BadInputNeverCrashesOrHangs()
    {
        // Overlong arguments and values, binary junk everywhere.
        var big = new string('9', 5000);
        Same($"$D/softlimit -d {big} true; echo $?");
        Same($"$D/setuidgid {new string('a', 10000)} true; echo $?");
        Same("$D/tai64n < junk | wc -l", t => File.WriteAllBytes(t["junk"], Junk(100_000, 3)), shared: true);
        // Debian's tai64nlocal crashes on some junk; ours must pass it through.
        var junk = Junk(200_000, 11);
        for (int i = 0; i < junk.Length; i += 97) junk[i] = (byte)'@';
        var r = Run(Ours("tai64nlocal"), new string[0], stdinBytes: junk);
        Assert.Equal(0, r.Exit);
        Assert.True(r.OutBytes.Length >= junk.Length - 64);
        Same("$D/envdir e sh -c 'echo ${#BIG}' | wc -c",
            t => { Directory.CreateDirectory(t["e"]); File.WriteAllBytes(t["e/BIG"], Junk(3_000_000, 5)); }, shared: true);
        Same("$D/envdir e sh -c 'echo ${#BIG}'",
            t => { Directory.CreateDirectory(t["e"]); File.WriteAllBytes(t["e/BIG"], Junk(100_000, 5)); }, shared: true);
    }
}

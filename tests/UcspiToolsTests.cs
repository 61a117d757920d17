// tcpclient and the small ucspi-tcp tools against Debian's.
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public class UcspiToolsTests
{
    static void Same(string tool, string args, string stdin = null, Func<string, string> normal = null)
    {
        normal ??= s => s;
        var theirs = Sh($"{Theirs(tool)} {args}", stdin: stdin);
        var ours = Sh($"{Ours(tool)} {args}", stdin: stdin);
        Assert.Equal(normal(theirs.ToString()), normal(ours.ToString()));
    }

    [Theory]
    [InlineData("addcr", "", "a\nb\r\n\nc")]
    [InlineData("delcr", "", "a\r\r\nb\rc\r\n\r")]
    [InlineData("delcr", "", "x\r")]
    [InlineData("fixcrio", "cat", "a\nb\r\n\nc")]
    [InlineData("fixcrio", "cat", "x")]
    [InlineData("fixcrio", "", "")]
    [InlineData("fixcrio", "/nonexistent", "")]
    [InlineData("argv0", "sh foo -c 'echo $0 $1' bar", "")]
    [InlineData("argv0", "nonexistent foo", "")]
    [InlineData("argv0", "sh", "")]
    [InlineData("recordio", "", "")]
    public void SameAsDebian(string tool, string args, string stdin) => Same(tool, args, stdin);

    [Theory]
    [InlineData("a\nb\r\nc")]
    [InlineData("")]
    [InlineData("line\n")]
    public void RecordioLogsLikeDebian(string stdin) =>
        Same("recordio", "cat", stdin, InputThenOutput);

    /// <summary>recordio's log with the pid replaced and the input records ("&lt;") before the
    /// output records ("&gt;"): the order within each direction is recordio's, how the two
    /// interleave depends on when the program's output arrives, in the C recordio as in ours.</summary>
    static string InputThenOutput(string result)
    {
        var lines = NoPids(result).Split('\n');
        return string.Join('\n', lines.Where(l => !l.StartsWith("P >")).Concat(lines.Where(l => l.StartsWith("P >"))));
    }

    static string NoPids(string s) => Regex.Replace(s, @"\d+ ([<>])", "P $1");

    /// <summary>fixcrio and recordio end as their program does (the C programs exec it in their
    /// own process): its exit code or its signal, also when started with CHLD ignored.</summary>
    [Theory]
    [InlineData("fixcrio", "sh -c 'cat; exit 3'")]
    [InlineData("fixcrio", "sh -c 'kill -TERM $$'")]
    [InlineData("fixcrio", "sh -c 'exec <&- >&-; exit 9'")]
    [InlineData("recordio", "sh -c 'cat; exit 3'")]
    [InlineData("recordio", "sh -c 'cat; kill -HUP $$' 2>/dev/null")]
    public void ExitsAsItsProgram(string tool, string program)
    {
        Same(tool, program, "a\nb", InputThenOutput);
        foreach (var t in new[] { Theirs(tool), Ours(tool) })
            Assert.Equal("rc=4\n", Sh($"{TamperedSignalsCommand} {t} sh -c 'exit 4' </dev/null >/dev/null 2>&1; echo rc=$?").Out);
    }

    /// <summary>A failed write in either direction ends the copying, as in the C programs: the
    /// program then fails writing its output (dies of SIGPIPE, or exits 1 if it ignores it, as
    /// under the test runner).</summary>
    [Theory]
    [InlineData("fixcrio")]
    [InlineData("recordio")]
    public void AWriteErrorEndsTheCopying(string tool)
    {
        using var t = new TempDir();
        foreach (var script in new[]
        {
            "{ TOOL yes hi </dev/null 2>/dev/null; echo rc=$? >&2; } | head -1",
            "mkfifo f; { read x <f; echo abc; } | TOOL sh -c 'exec <&-; echo >f; exec yes hi' >/dev/null 2>&1; echo rc=$?",
        })
        {
            var theirs = Sh(script.Replace("TOOL", Theirs(tool)), t.Path);
            File.Delete(t["f"]);
            var ours = Sh(script.Replace("TOOL", Ours(tool)), t.Path);
            File.Delete(t["f"]);
            Assert.Matches("rc=(1|141)\n", theirs.ToString());
            Assert.Equal(theirs.ToString(), ours.ToString());
        }
    }

    /// <summary>A program that writes more than it reads: the copying waits on neither pipe while
    /// the other has data.</summary>
    [Theory]
    [InlineData("fixcrio")]
    [InlineData("recordio")]
    public void ABusyProgramDoesNotDeadlock(string tool)
    {
        const string script = "yes line | head -n 100000 | TOOL awk '{print; print; print}' 2>/dev/null | wc -c";
        var theirs = Sh(script.Replace("TOOL", Theirs(tool)));
        Assert.Equal(theirs.ToString(), Sh(script.Replace("TOOL", Ours(tool))).ToString());
    }

    [Theory]
    [InlineData("-RHl0 127.0.0.1 1 true")]
    [InlineData("-RHl0 0 nosuchservice true")]
    [InlineData("-q -RHl0 127.0.0.1 1 true")]
    [InlineData("-RHl0 1.2.3 1 true")]
    [InlineData("-RHl0 127.0.0.1")]
    [InlineData("-i x 0 1 true")]
    [InlineData("")]
    public void ClientErrorsMatchDebian(string args) => Same("tcpclient", args);

    [Fact]
    public void ClientEnvironmentAndDescriptorsMatchDebian()
    {
        using var s = new Server(Ours("tcpserver"), "-R -H -l0", "sh -c 'echo from server; cat'");
        const string program = "sh -c 'echo to server >&7; exec 7>&-; head -1 <&6; env | grep -E \"^(PROTO|TCP)\" | sort'";
        string Norm(string x) => Regex.Replace(x, @"TCPLOCALPORT=\d+", "TCPLOCALPORT=L");
        foreach (var opts in new[] { "-v -RHl0", "-R -l me", "-RH" })
            Same("tcpclient", $"{opts} 127.0.0.1 {s.Port} {program}", normal: Norm);
    }

    [Fact]
    public void ClientConnectsOverIpv6()
    {
        using var s = new Server(Ours("tcpserver"), "-R -H -l0", "echo six", host: "::1");
        var r = Sh($"{Ours("tcpclient")} -v -RHl0 ::1 {s.Port} sh -c 'cat <&6; env | grep -E \"^(PROTO|TCP6?REMOTEIP)=\" | sort'");
        Assert.Equal("six\nPROTO=TCP6\nTCPREMOTEIP=::1\n", r.Out);
        Assert.Equal($"tcpclient: connected to ::1 port {s.Port}\n", r.Err);
    }

    /// <summary>mconnect-io under tcpclient, ours and Debian's: what the server received (dumped
    /// by od), whether it saw the end of input (it must not: only fd 7 is closed), and what came
    /// back, as bytes.</summary>
    [Fact]
    public void MconnectIoMatchesDebian()
    {
        using var s = new Server(Ours("tcpserver"), "-R -H -l0",
            "sh -c 'echo 220 hi; head -c 12 | od -c; timeout 1 cat; echo \"cat $?\"'");
        var input = new byte[] { (byte)'a', 10, (byte)'b', 13, 10, (byte)'c', 0, 255, 10 };
        Result Io(string io) => Run(Ours("tcpclient"), ["-RHl0", "127.0.0.1", s.Port.ToString(), io], stdinBytes: input);
        var theirs = Io(Theirs("mconnect-io"));
        Assert.EndsWith("cat 124\n", theirs.Out);
        var ours = Io(Ours("mconnect-io"));
        Assert.Equal(theirs.OutBytes, ours.OutBytes);
        Assert.Equal(theirs.ToString(), ours.ToString());
    }

    /// <summary>The server closes first while stdin stays open: both exit 0 at once.</summary>
    [Fact]
    public void MconnectIoEndsWhenTheServerCloses()
    {
        using var s = new Server(Ours("tcpserver"), "-R -H -l0", "sh -c 'printf \"bye\\r\\n\"'");
        foreach (var io in new[] { Theirs("mconnect-io"), Ours("mconnect-io") })
        {
            var psi = new System.Diagnostics.ProcessStartInfo(Ours("tcpclient"), ["-RHl0", "127.0.0.1", s.Port.ToString(), io])
            {
                RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false,
            };
            using var p = System.Diagnostics.Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEndAsync();
            Assert.True(p.WaitForExit(10000), io);
            Assert.Equal(0, p.ExitCode);
            Assert.Equal("bye\r\n", output.Result);
            p.StandardInput.Close();
        }
    }

    [Fact]
    public void ScriptsCallOurTcpclient()
    {
        using var date = new Server(Ours("tcpserver"), "-R -H -l0", "sh -c 'printf \"Sat Nov 22 2026\\r\\n\"'");
        Assert.Equal("Sat Nov 22 2026\r\n", Sh($"{Ours("tcpcat")} 127.0.0.1 {date.Port}").Out);
        using var web = new Server(Ours("tcpserver"), "-R -H -l0", "sh -c 'read l; read h; read e; printf \"HTTP/1.0 200\\r\\n\\r\\ngot %s\\n\" \"$l\"'");
        Assert.Equal("got GET /x HTTP/1.0\n", Sh($"{Ours("http@")} 127.0.0.1 x {web.Port}").Out);
        using var echo = new Server(Ours("tcpserver"), "-R -H -l0", "sh -c 'read l; echo \"$l\"'");
        Assert.Equal("one\r\n", Sh($"{Ours("mconnect")} 127.0.0.1 {echo.Port}", stdin: "one\n").Out);
        Assert.DoesNotContain("/usr/bin/tcpclient", File.ReadAllText(Ours("date@")));
    }
}

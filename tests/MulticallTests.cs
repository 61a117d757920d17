// The one executable: every command in command/ is a link to it, and the link's name, not
// argv[0], picks the program.
using System.IO;
using System.Linq;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public class MulticallTests
{
    static string[] Links() => Directory.GetFiles(Path.Combine(Root, "command"))
        .Where(p => new FileInfo(p).LinkTarget == "toolkit").Select(Path.GetFileName).OrderBy(n => n).ToArray();

    [Fact]
    public void EveryCommandButTheScriptsIsALinkToTheExecutable()
    {
        var links = Links();
        Assert.Equal(31, links.Length);
        Assert.Contains("tcpserver", links);
        // qmailctl is an executable of its own; the rest are scripts.
        foreach (var script in new[] { "qmailctl", "svscanboot", "mconnect", "tcpcat", "date@", "who@", "finger@", "http@" })
            Assert.Null(new FileInfo(Path.Combine(Root, "command", script)).LinkTarget);
    }

    [Fact]
    public void TheLinkNameChoosesTheProgramWhateverArgv0Says()
    {
        // argv0 runs command/tcpserver with argv[0] "svstat": still tcpserver (its usage line).
        var r = Run(Ours("argv0"), new[] { Ours("tcpserver"), "svstat" });
        Assert.Equal(100, r.Exit);
        Assert.StartsWith("tcpserver: usage: tcpserver ", r.Err);
        // and with argv[0] naming no command at all
        r = Run(Ours("argv0"), new[] { Ours("svok"), "no such command", "/" });
        Assert.Equal(100, r.Exit);
        Assert.Equal("", r.Err);
    }

    [Fact]
    public void PsShowsTheNameEachProgramWasStartedAs()
    {
        using var t = new TempDir();
        var start = Sh($"{Ours("argv0")} {Ours("tcpserver")} smtpd -q 127.0.0.1 0 /bin/true </dev/null >/dev/null 2>&1 & echo $!");
        int pid = int.Parse(start.Out.Trim());
        try
        {
            Assert.True(WaitFor(() => File.Exists($"/proc/{pid}/cmdline") &&
                                      File.ReadAllText($"/proc/{pid}/cmdline").StartsWith("smtpd\0-q\0"), 10000));
            Assert.Equal("tcpserver\n", File.ReadAllText($"/proc/{pid}/comm"));
        }
        finally { Sh($"kill {pid}"); }
    }

    [Fact]
    public void AnUnknownNameIsAUsageErrorListingTheCommands()
    {
        using var t = new TempDir();
        File.CreateSymbolicLink(t["frobnicate"], Path.Combine(Root, "command", "toolkit"));
        var r = Run(t["frobnicate"], new[] { "svc", "-u", "x" });
        Assert.Equal(100, r.Exit);
        Assert.Equal("", r.Out);
        Assert.Contains("fatal: not a command: " + t["frobnicate"], r.Err);
        var listed = r.Err.Split('\n')[0].Split(':').Last().Trim().Split(' ');
        Assert.Equal(Links(), listed);

        r = Run(Path.Combine(Root, "command", "toolkit"), new string[0]);
        Assert.Equal(100, r.Exit);
        Assert.Contains("toolkit: usage: ", r.Err);
    }
}

// Debian's multilog and ours as running processes, signalled, stopped or killed at the same
// point: the same messages and the same files, whenever another process looks.
using System.Diagnostics;
using System.IO;
using System.Text;
using Xunit;
using static Toolkit.Tests.Harness;
using static Toolkit.Tests.MultilogHarness;

namespace Toolkit.Tests;

public class MultilogLiveDifferentialTests
{
    /// <summary>Runs test on Debian's multilog then on ours; both must return the same.</summary>
    static void Same(Func<string, string> test) =>
        Assert.Equal(test(Theirs("multilog")), test(Ours("multilog")));

    static int Finished(string dir) => Directory.GetFiles(dir, "@*.s").Length;

    [Fact]
    public void StatusFileThatCannotBeWritten() => Same(exe =>
    {
        using var t = new TempDir();
        using var m = new Live([exe], t.Path, "=/dev/full");
        m.Write("x\n");
        Assert.True(WaitFor(() => m.Err.Contains("pausing")));
        var first = m.Err.Split('\n')[0];
        Assert.Equal("multilog: warning: unable to write /dev/full, pausing: out of disk space", first);
        return first;
    });

    /// <summary>Each directory's 512-byte buffer is written as it fills: killed while the
    /// processor of a later directory pauses, the earlier one holds what 0.76 wrote.</summary>
    [Fact]
    public void KilledWhilePausing() => Same(exe =>
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["w"]);
        var sh = FromFile([exe], InputFile(t["w"], Numbered(200, 33)));
        using var m = new Live(sh, t["w"], "./d1", "s4096", "!exit 1", "./main");
        Assert.True(WaitFor(() => m.Err.Contains("processor failed"), 20000));
        m.P.Kill();
        m.P.WaitForExit();
        Assert.NotEqual(0, new FileInfo(t["w/d1/current"]).Length);
        return m.Err + Snapshot(t["w"]);
    });

    /// <summary>Killed while its echo waits for a full stderr pipe, the directory holds every
    /// flush before that line, as 0.76's.</summary>
    [Fact]
    public void KilledWhileTheEchoWaits() => Same(exe =>
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["w"]);
        var sh = FromFile([exe], InputFile(t["w"], Numbered(2000, 100)));
        var psi = new ProcessStartInfo(sh[0]) { RedirectStandardError = true, WorkingDirectory = t["w"] };
        foreach (var a in sh[1..]) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("./d1");
        psi.ArgumentList.Add("e");
        using var p = Process.Start(psi)!;
        // stderr is never read: the echo blocks once the pipe is full.
        Assert.True(WaitFor(() => InSyscall(p.Id, 1, 2)));
        p.Kill();
        p.WaitForExit();
        Assert.NotEqual(0, new FileInfo(t["w/d1/current"]).Length);
        return Snapshot(t["w"]);
    });

    /// <summary>A disk that fills up while two directories are written: they get its last
    /// blocks in 0.76's order (one write per buffer, in turn), and the pause is the same.</summary>
    [Fact]
    public void DiskFullWithTwoDirectories() => Same(exe =>
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["w/fs"]);
        Assert.Equal(0, Sh($"mount -t tmpfs -o size=48k tmpfs {t["w/fs"]}").Exit);
        try
        {
            var sh = FromFile([exe], InputFile(t["w"], Numbered(4000, 60)));
            using var m = new Live(sh, t["w"], "s99999", "./fs/d1", "./fs/d2");
            Assert.True(WaitFor(() => m.Err.Contains("pausing"), 20000));
            m.P.Kill();
            m.P.WaitForExit();
            return m.Err + Snapshot(t["w/fs"]);
        }
        finally
        {
            Sh($"umount {t["w/fs"]}");
        }
    });

    /// <summary>After TERM a partial line is finished one byte at a time; ALRM meanwhile
    /// rotates at once (it interrupts the read).</summary>
    [Fact]
    public void AlarmWhileFinishingALineAfterTerm() => Same(exe =>
    {
        using var t = new TempDir();
        using var m = new Live([exe], t.Path, "./d");
        m.Write("first\nmid");
        Assert.True(WaitFor(() => File.Exists(t["d/current"]) && new FileInfo(t["d/current"]).Length == 6));
        Assert.Equal(0, kill(m.P.Id, SIGTERM));
        Assert.True(WaitFor(() => m.ReadingFd0(1)));
        Assert.Equal(0, kill(m.P.Id, SIGALRM));
        Assert.True(WaitFor(() => Finished(t["d"]) == 1), "no rotation on ALRM");
        m.Write("dle\nnot read\n");
        Assert.True(m.P.WaitForExit(10000));
        Assert.Equal(0, m.P.ExitCode);
        return Snapshot(t.Path);
    });

    /// <summary>TERM and ALRM that come while multilog is busy (here: pausing for its
    /// processor) are taken when it next reads, and acted on after that read: it reads once
    /// more (1024 bytes, and then up to the end of a line), rotates and exits.</summary>
    [Fact]
    public void SignalsWhileBusyWaitForTheNextRead() => Same(exe =>
    {
        using var t = new TempDir();
        using var m = new Live([exe], t.Path, "!test -e ../failed || { touch ../failed; exit 1; }; cat", "./d");
        m.Write("a\nb\n");
        Assert.True(WaitFor(() => File.Exists(t["d/current"]) && new FileInfo(t["d/current"]).Length == 4));
        Assert.Equal(0, kill(m.P.Id, SIGALRM));
        Assert.True(WaitFor(() => m.Err.Contains("processor failed")));
        Assert.Equal(0, kill(m.P.Id, SIGTERM));
        Assert.Equal(0, kill(m.P.Id, SIGALRM));
        Assert.True(WaitFor(() => Finished(t["d"]) == 1, 20000));
        // One more read of 1024 bytes, the end of the line it stops in, then out.
        m.Write("more\n" + Encoding.ASCII.GetString(Numbered(60, 33)));
        Assert.True(m.P.WaitForExit(20000));
        Assert.Equal(0, m.P.ExitCode);
        Assert.Equal(2, Finished(t["d"]));
        return m.Err + Snapshot(t.Path);
    });

    /// <summary>A read error ends the input: an empty non-blocking stdin ends at once.</summary>
    [Fact]
    public void EmptyNonBlockingInput() => Same(exe =>
    {
        using var t = new TempDir();
        using var m = new Live(["perl", "-MFcntl", "-e", "fcntl(STDIN, F_SETFL, O_NONBLOCK) or die; exec @ARGV or die", exe], t.Path, "e", "./d");
        Assert.True(m.P.WaitForExit(10000), "still reading");
        Assert.Equal(0, m.P.ExitCode);
        return Snapshot(t.Path);
    });
}

// What core/native/startup.c changes in the runtime, seen from a program built like the
// commands (tests/fixtures/runtime-probe.cs, built by `make test`).
using System.IO;
using Xunit;

namespace Toolkit.Tests;

public class StartupLayerTests
{
    static readonly string Probe = Path.Combine(Harness.Root, "obj", "probe", "runtime-probe");

    static string Run(string mode, string prefix = "")
    {
        Assert.True(File.Exists(Probe), $"{Probe} is missing: run make test");
        var r = Harness.Sh($"{prefix} '{Probe}' {mode}", timeoutMs: 60000);
        Assert.True(r.Exit == 0, r.ToString());
        return r.Out.Trim();
    }

    [Fact]
    public void NoFinalizerThreadBeforeItHasWork() => Assert.Equal("1", Run("threads"));

    [Fact]
    public void FinalizersRunWhenWaitedFor() => Assert.Equal("1000", Run("finalize-wait"));

    [Fact]
    public void FinalizersRunAfterACollection() => Assert.Equal("1000", Run("finalize-gc"));

    [Fact]
    public void FinalizersRunUnderSoftlimit() =>
        Assert.Equal("1000", Run("finalize-gc", $"'{Harness.Ours("softlimit")}' -m 5000000"));

    // glibc's answer for the main thread: the stack reaches RLIMIT_STACK below the end of
    // the [stack] mapping, and ends above the current frame (the probe's is in it).
    [Theory]
    [InlineData(8192)]
    [InlineData(16384)]
    [InlineData(100000)]
    [InlineData(1048576)]
    public void MainThreadStackAsGlibcReportsIt(int kilobytes)
    {
        var f = Run("stack", $"ulimit -s {kilobytes};").Split(' ');
        ulong low = System.Convert.ToUInt64(f[0], 16), size = ulong.Parse(f[1]), end = System.Convert.ToUInt64(f[2], 16);
        Assert.Equal(end - (ulong)kilobytes * 1024, low);
        Assert.True(low + size <= end && end - (low + size) < 1 << 20, string.Join(' ', f));
    }

    [Fact]
    public void UnlimitedStackIsLeftToGlibc()
    {
        var f = Run("stack", "ulimit -s unlimited;").Split(' ');
        ulong low = System.Convert.ToUInt64(f[0], 16), size = ulong.Parse(f[1]), end = System.Convert.ToUInt64(f[2], 16);
        Assert.True(low < end && low + size <= end, string.Join(' ', f));
    }

    // The runtime is told there are no cgroups: it counts the processors it may run on.
    [Fact]
    public void ProcessorCountIsTheAffinityCount() =>
        Assert.Equal(Harness.Sh("nproc").Out.Trim(), Run("cpus"));
}

// The benches fail loudly: a missing Debian package is named, a figure that is no measurement
// stops the bench (bench/lib.sh, tests/need).
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public class BenchTests
{
    static Result Bash(string script) => Run("bash", new[] { "-c", script }, cwd: Root);

    [Fact]
    public void AMissingPackageIsNamedWhenNotRoot()
    {
        var r = Sh($"setpriv --reuid=65534 --regid=65534 --clear-groups bash {Root}/tests/need bench/cdb freecdb no-such-package-here");
        Assert.Equal(1, r.Exit);
        Assert.Contains("bench/cdb needs Debian packages that are not installed; as root, run:\n  apt-get install no-such-package-here\n", r.Err);
    }

    [Fact]
    public void AFigureThatIsNoMeasurementStopsTheBench()
    {
        // bench/cdb once printed 2147483647/s: a division by a time of zero.
        var r = Bash(". bench/lib.sh; measured 'probe rates' 12.5 2147483647; measured 'probe rates' 5 0; echo reached");
        Assert.Equal(1, r.Exit);
        Assert.Equal("", r.Out);
        Assert.Contains("cannot measure probe rates (got \"0\")", r.Err);
        r = Bash(". bench/lib.sh; strict; x=$(false); echo reached");
        Assert.NotEqual(0, r.Exit);
        Assert.Equal("", r.Out);
        Assert.Contains("failed: x=$(false)", r.Err);
    }
}

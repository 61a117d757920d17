// The build itself: the toolkit is x86-64 Linux code, and building it for another target
// stops at once with a message saying so.
using System.IO;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public class BuildTests
{
    [Fact]
    public void AnotherArchitectureIsRefused()
    {
        var r = Sh($"cd '{Root}' && dotnet build core/Toolkit.csproj --nologo -v:q -p:Command=archcheck -r linux-arm64", timeoutMs: 120000);
        var obj = Path.Combine(Root, "obj", "archcheck");
        if (Directory.Exists(obj)) Directory.Delete(obj, recursive: true);
        Assert.NotEqual(0, r.Exit);
        Assert.Contains("builds for linux-x64 only", r.Out + r.Err);
    }
}

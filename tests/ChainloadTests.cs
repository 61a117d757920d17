// Differential tests: the chain-loading tools against Debian's daemontools.
using System.Collections.Generic;
using System.IO;
using Xunit;
using static Toolkit.Tests.Harness;

namespace Toolkit.Tests;

public class ChainloadTests
{
    /// <summary>Runs the same command line through Debian's tool and ours; both results.</summary>
    static (Result theirs, Result ours) Both(string tool, string[] args, string cwd = null, string stdin = null,
        IDictionary<string, string> env = null)
        => (Run(Theirs(tool), args, stdin, cwd, env), Run(Ours(tool), args, stdin, cwd, env));

    static void Same(string tool, string[] args, string cwd = null, string stdin = null, IDictionary<string, string> env = null)
    {
        var (theirs, ours) = Both(tool, args, cwd, stdin, env);
        Assert.Equal(theirs.ToString(), ours.ToString());
    }

    [Theory]
    [InlineData("setuidgid")]
    [InlineData("envuidgid")]
    [InlineData("envdir")]
    [InlineData("softlimit")]
    [InlineData("setlock")]
    [InlineData("pgrphack")]
    [InlineData("fghack")]
    public void UsageWithoutArguments(string tool) => Same(tool, new string[0]);
}

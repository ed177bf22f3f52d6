namespace Sysprint.Cli.Tests.Support;

/// <summary>Assertions shared by the CLI tests.</summary>
internal static class Expect
{
    /// <summary>The run failed with <paramref name="exit"/> and stderr is exactly <c>sysprint: error: MESSAGE</c>, no stack trace.</summary>
    public static void Failure(CliResult result, int exit, string message)
    {
        Assert.Equal("sysprint: error: " + message + "\n", result.Error);
        Assert.Equal(exit, result.Exit);
        NoStackTrace(result);
    }

    public static void NoStackTrace(CliResult result)
    {
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", result.Error, StringComparison.Ordinal);
    }
}

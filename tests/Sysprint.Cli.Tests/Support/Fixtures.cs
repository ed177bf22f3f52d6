namespace Sysprint.Cli.Tests.Support;

/// <summary>The real strace captures (linked from the core tests' <c>TestData/strace</c>).</summary>
internal static class Fixtures
{
    public static string StraceDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "TestData", "strace");

    /// <summary>The path of <c>NAME.strace</c>.</summary>
    public static string Strace(string name) => Path.Combine(StraceDirectory, name + ".strace");
}

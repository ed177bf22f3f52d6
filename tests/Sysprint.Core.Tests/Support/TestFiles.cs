namespace Sysprint.Core.Tests.Support;

/// <summary>Where the test data lives: <c>TestData/</c> beside the test assembly.</summary>
internal static class TestFiles
{
    public static string TestData { get; } = Path.Combine(AppContext.BaseDirectory, "TestData");

    public static string Strace { get; } = Path.Combine(TestData, "strace");

    public static string StraceFixture(string name) => Path.Combine(Strace, name + ".strace");

    public static string NtTrace(string name) => Path.Combine(TestData, "nttrace", name);

    /// <summary>Every <c>*.strace</c> fixture's name, without the extension, sorted.</summary>
    public static IEnumerable<string> StraceFixtureNames() =>
        Directory.EnumerateFiles(Strace, "*.strace")
            .Select(Path.GetFileNameWithoutExtension)
            .OfType<string>()
            .Order(StringComparer.Ordinal);

    /// <summary>The number of syscall entries in <c>NAME.expected</c>.</summary>
    public static int ExpectedCount(string name) =>
        int.Parse(File.ReadAllText(Path.Combine(Strace, name + ".expected")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The multi_ff/trace.* files with their expected counts from <c>multi_ff.expected</c>.</summary>
    public static IReadOnlyList<(string Path, int Count)> MultiFfTraces() =>
        File.ReadAllLines(Path.Combine(Strace, "multi_ff.expected"))
            .Where(line => line.Length > 0)
            .Select(line => line.Split(' '))
            .Select(parts => (Path.Combine(Strace, "multi_ff", parts[0]), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
}

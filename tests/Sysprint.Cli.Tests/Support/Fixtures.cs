namespace Sysprint.Cli.Tests.Support;

/// <summary>The real strace captures (linked from the core tests' <c>TestData/strace</c>) and the repository.</summary>
internal static class Fixtures
{
    public static string StraceDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "TestData", "strace");

    /// <summary>The path of <c>NAME.strace</c>.</summary>
    public static string Strace(string name) => Path.Combine(StraceDirectory, name + ".strace");

    /// <summary>The directory holding <c>Sysprint.slnx</c>, found by walking up from the test assembly.</summary>
    public static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sysprint.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Sysprint.slnx above {AppContext.BaseDirectory}");
    }

    /// <summary>The ADFA-LD data set (<c>../shared/datasets/adfa-ld</c> beside the repository); skips the test when it is absent.</summary>
    public static string AdfaLdOrSkip()
    {
        string path = Path.GetFullPath(Path.Combine(RepositoryRoot(), "..", "shared", "datasets", "adfa-ld"));
        if (!Directory.Exists(path))
        {
            Assert.Skip($"ADFA-LD not found at {path}");
        }

        return path;
    }
}

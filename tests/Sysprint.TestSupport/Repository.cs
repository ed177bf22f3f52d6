namespace Sysprint.TestSupport;

/// <summary>The repository the tests run from, and the data sets shared beside it (<c>../shared</c>).</summary>
public static class Repository
{
    /// <summary>The directory holding <c>Sysprint.slnx</c>, found by walking up from the test assembly; null when none.</summary>
    public static string? FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sysprint.slnx")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>The directory holding <c>Sysprint.slnx</c>.</summary>
    /// <exception cref="InvalidOperationException">The tests do not run from inside the repository.</exception>
    public static string Root() =>
        FindRoot() ?? throw new InvalidOperationException($"no Sysprint.slnx above {AppContext.BaseDirectory}");

    /// <summary>The ADFA-LD data set (<c>../shared/datasets/adfa-ld</c> beside the repository); skips the test when it is absent.</summary>
    public static string AdfaLdOrSkip()
    {
        string? root = FindRoot();
        string path = root is null
            ? "../shared/datasets/adfa-ld (no Sysprint.slnx above " + AppContext.BaseDirectory + ")"
            : Path.GetFullPath(Path.Combine(root, "..", "shared", "datasets", "adfa-ld"));
        if (root is null || !Directory.Exists(path))
        {
            Assert.Skip($"ADFA-LD not found at {path}");
        }

        return path;
    }
}

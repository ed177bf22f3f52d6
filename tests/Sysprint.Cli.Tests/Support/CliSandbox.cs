namespace Sysprint.Cli.Tests.Support;

/// <summary>
/// A fresh temporary directory for one test class, with a store path inside it and an environment
/// that holds only what the test sets (so the developer's <c>SYSPRINT_DB</c> never leaks in).
/// Runs <see cref="SysprintApp"/> in-process over string writers.
/// </summary>
internal sealed class CliSandbox : IDisposable
{
    private readonly TempDir _dir = new("sysprint-cli-tests-");

    /// <summary>The directory; everything a test writes goes below it.</summary>
    public string Root => _dir.Root;

    /// <summary>Variables the CLI sees; any other name reads as unset.</summary>
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    public string PathOf(string name) => _dir.PathOf(name);

    /// <summary>A store path inside the sandbox (the file is created by the first train).</summary>
    public string Db(string name = "sysprint.db") => PathOf(name);

    public string Write(string name, string text) => _dir.Write(name, text);

    public string WriteBytes(string name, byte[] bytes) => _dir.WriteBytes(name, bytes);

    public CliResult Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int exit = SysprintApp.Run(args, new CliContext
        {
            Out = stdout,
            Error = stderr,
            Environment = name => Environment.GetValueOrDefault(name),
        });
        return new CliResult(exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs a command that must succeed (exit 0) and returns its result.</summary>
    public CliResult RunOk(params string[] args)
    {
        CliResult result = Run(args);
        Assert.True(result.Exit == 0, $"sysprint {string.Join(' ', args)} failed:\n{result}");
        return result;
    }

    public void Dispose() => _dir.Dispose();
}

using Sysprint.Cli;

namespace Sysprint.Agent.Tests.Support;

/// <summary>Runs the sysprint CLI in-process over string writers.</summary>
internal static class Cli
{
    public static (int Exit, string Out, string Error) Run(params string[] args) => RunWith(null, args);

    /// <summary>Runs with these environment variables set (besides <c>SYSPRINT_HOSTNAME</c>); any other reads as unset.</summary>
    public static (int Exit, string Out, string Error) RunWith(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int exit = SysprintApp.Run(args, new CliContext
        {
            Out = stdout,
            Error = stderr,
            Environment = name => name == "SYSPRINT_HOSTNAME" ? "dom0-test" : environment?.GetValueOrDefault(name),
        });
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Trains the store <paramref name="name"/> in <paramref name="dir"/> on <paramref name="log"/> (<see cref="Logs.Normal"/> when null); returns its path.</summary>
    public static string TrainedStore(TempDir dir, string name = "sysprint.db", string? log = null)
    {
        string db = dir.PathOf(name);
        string path = dir.Write("train/normal.strace", log ?? Logs.Normal);
        RunOk("train", "--db", db, path);
        return db;
    }

    public static string RunOk(params string[] args)
    {
        var (exit, output, error) = Run(args);
        Assert.True(exit == 0, $"sysprint {string.Join(' ', args)} exited {exit}:\n{output}\n{error}");
        return output;
    }
}

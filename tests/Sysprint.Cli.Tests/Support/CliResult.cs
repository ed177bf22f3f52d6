namespace Sysprint.Cli.Tests.Support;

/// <summary>What one in-process run of the CLI produced.</summary>
internal readonly record struct CliResult(int Exit, string Out, string Error)
{
    /// <summary>stdout split into lines, without the final empty one.</summary>
    public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>stderr split into lines, without the final empty one.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {Exit}\n--- stdout\n{Out}--- stderr\n{Error}";
}

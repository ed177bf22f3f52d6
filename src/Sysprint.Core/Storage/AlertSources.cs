namespace Sysprint.Storage;

/// <summary>What raised an alert (<see cref="AlertEntry.Source"/>).</summary>
public static class AlertSources
{
    public const string Check = "check";

    public const string Run = "run";

    public const string Attach = "attach";

    /// <summary>The agent watching VMs' logs.</summary>
    public const string Watch = "watch";

    /// <summary>Every source, in the order the CLI names them.</summary>
    public static IReadOnlyList<string> All { get; } = [Check, Run, Attach, Watch];
}

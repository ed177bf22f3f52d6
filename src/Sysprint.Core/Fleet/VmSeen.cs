namespace Sysprint.Fleet;

/// <summary>
/// A VM of a host as the console shows it: its alerts (how many, the newest's time) and, when the
/// host's agent reported it in its latest heartbeat, its last checks (<see cref="Checks"/>).
/// </summary>
/// <param name="Last">The newest alert's time; null when it raised none.</param>
public sealed record VmSeen(string Vm, long Alerts, DateTimeOffset? Last)
{
    /// <summary>Its last checks as the agent's latest heartbeat said; null when the agent did not report this VM.</summary>
    public VmChecks? Checks { get; init; }
}

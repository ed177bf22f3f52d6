namespace Sysprint.Fleet;

/// <summary>What an agent says about itself at each heartbeat.</summary>
/// <param name="Version">The agent's sysprint version.</param>
/// <param name="LagBytes">Bytes written to the watched logs and not yet read.</param>
/// <param name="Files">Files being watched (reading) when it was sent.</param>
/// <param name="Pending">Alerts not yet delivered, per sink name.</param>
/// <param name="LastError">The newest delivery error of any sink, or null.</param>
public sealed record FleetHeartbeat(
    string Version,
    long LagBytes,
    long Files,
    IReadOnlyDictionary<string, long> Pending,
    string? LastError)
{
    /// <summary>The VMs the agent checks and their last checks (<see cref="VmChecks.MaxPerHeartbeat"/> at most); null from an agent that sends none.</summary>
    public IReadOnlyList<VmChecks>? Vms { get; init; }

    /// <summary>How many VMs the agent checks in all (may exceed <see cref="Vms"/>' count).</summary>
    public long? VmsTotal { get; init; }
}

namespace Sysprint.Fleet;

/// <summary>
/// What an agent checked of one VM's logs, sent with its heartbeat: when it last read one of them
/// (<see cref="LastCheck"/>), and how many of the logs it keeps track of were normal so far, raised
/// alerts, or could not be read.
/// </summary>
/// <param name="Logs">The VM's logs the agent keeps track of (being read or done).</param>
/// <param name="Anomalous">Of those, the logs that raised at least one alert.</param>
/// <param name="Failed">Logs it could not read.</param>
public sealed record VmChecks(string Vm, DateTimeOffset LastCheck, long Logs, long Anomalous, long Failed)
{
    /// <summary>At most this many VMs go with a heartbeat (the newest checked): the heartbeat stays well under its 16 KiB.</summary>
    public const int MaxPerHeartbeat = 100;
}

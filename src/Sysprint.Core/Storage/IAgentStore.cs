namespace Sysprint.Storage;

/// <summary>
/// What the live agent keeps in the store beside the fingerprints: the alert outbox (each alert
/// once, with one delivery per sink until that sink took it) and the watched files' progress.
/// Every method that writes is one transaction. An instance is not thread-safe: give each thread
/// its own, they share the store file safely.
/// </summary>
/// <remarks>
/// Delivery is at least once: an alert is stored before any sink sees it, and a delivery is marked
/// done only after its sink took it, so a crash in between sends it again, under the same id.
/// </remarks>
public interface IAgentStore : IDisposable
{
    /// <summary>Where the store lives, for messages.</summary>
    string Location { get; }

    /// <summary>
    /// In one transaction: the alert and one pending delivery per sink. Returns false, writing
    /// nothing, when an alert with the same <see cref="OutboxAlert.Id"/> is already stored (the same
    /// anomaly seen again, e.g. a log read again after a restart).
    /// </summary>
    bool AddAlert(OutboxAlert alert, IReadOnlyList<string> sinks);

    /// <summary>Alerts not yet delivered to <paramref name="sink"/>, oldest first.</summary>
    IReadOnlyList<OutboxAlert> PendingAlerts(string sink, int limit);

    /// <summary>The sink took the alert: its delivery is done.</summary>
    void MarkDelivered(string alertId, string sink, DateTimeOffset time);

    /// <summary>A delivery attempt failed; the delivery stays pending with the error recorded.</summary>
    void MarkFailed(string alertId, string sink, string reason, DateTimeOffset time);

    /// <summary>Per sink: deliveries done and pending, the last error, and the time of the oldest alert pending.</summary>
    IReadOnlyList<SinkCounts> CountDeliveries();

    /// <summary>
    /// In one transaction: removes the alerts raised before <paramref name="before"/> that every sink
    /// took, whose log no watched file names any more (a log still watched could be read again, and
    /// its alerts must then still be known so as not to be sent twice). Returns how many were removed.
    /// </summary>
    int PruneDeliveredAlerts(DateTimeOffset before);

    /// <summary>In one transaction: removes these watched files' rows (finished files gone from the spool). Returns how many were removed.</summary>
    int DeleteWatchedFiles(IReadOnlyList<long> ids);

    /// <summary>The newest alerts of the outbox first.</summary>
    IReadOnlyList<OutboxAlert> ListOutboxAlerts(int limit);

    /// <summary>Every file the agent has watched, by id.</summary>
    IReadOnlyList<WatchedFile> ListWatchedFiles();

    /// <summary>Records a newly seen file (its <see cref="WatchedFile.Id"/> is ignored); returns it with its id.</summary>
    WatchedFile AddWatchedFile(WatchedFile file);

    /// <summary>In one transaction: the progress and state of each file (matched by id).</summary>
    void UpdateWatchedFiles(IReadOnlyList<WatchedFile> files);

    /// <summary>Records the running agent's facts (pid, start time, heartbeat, spools, sinks, alerts) for <c>agent-status</c>, replacing the last ones.</summary>
    void SetAgentInfo(AgentInfo info);

    /// <summary>The facts the agent recorded last; null when no agent ever recorded a heartbeat in this store.</summary>
    AgentInfo? GetAgentInfo();
}

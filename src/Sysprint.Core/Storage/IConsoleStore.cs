using Sysprint.Fleet;

namespace Sysprint.Storage;

/// <summary>
/// What the administrator's console reads and changes beside the fleet's tables
/// (<see cref="IFleetStore"/>): alerts filtered and paged by the database, their status
/// (new, acknowledged, dismissed as normal) and the audit log of changes made from the console.
/// Thread-safe; every change is one transaction.
/// </summary>
public interface IConsoleStore
{
    /// <summary>One page of alerts matching <paramref name="query"/>, newest arrival first, with the number that match in all (up to <see cref="AlertPage.MaxCount"/>).</summary>
    Task<AlertPage> QueryAlertsAsync(ConsoleAlertQuery query, CancellationToken cancellationToken);

    /// <summary>The alerts that arrived after <paramref name="afterSeq"/>, oldest first, at most <paramref name="limit"/> (the live feed).</summary>
    Task<IReadOnlyList<ConsoleAlert>> AlertsAfterAsync(long afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>The newest alert's <see cref="FleetAlert.Seq"/>, 0 when there is none.</summary>
    Task<long> LatestSeqAsync(CancellationToken cancellationToken);

    /// <summary>The alert with this <see cref="FleetAlert.Seq"/>, or null.</summary>
    Task<ConsoleAlert?> FindAlertAsync(long seq, CancellationToken cancellationToken);

    /// <summary>Marks the alert acknowledged with a note, recording who and when (and an audit entry). False when there is no such alert.</summary>
    Task<bool> AcknowledgeAlertAsync(long seq, string note, string actor, DateTimeOffset time, CancellationToken cancellationToken);

    /// <summary>
    /// Dismisses the alert as normal and, with it, every alert still new of the same profile and
    /// mismatching window (one of <paramref name="windows"/>, as the agent's <c>mismatch.window</c>), recording
    /// who and when and an audit entry with <paramref name="detail"/>. Returns how many alerts it dismissed.
    /// </summary>
    Task<int> DismissAlertsAsync(long seq, string? profile, IReadOnlyList<string> windows, string note, string actor, string detail, DateTimeOffset time,
        CancellationToken cancellationToken);

    /// <summary>Alerts raised at or after <paramref name="since"/>, counted per hour, and per host and profile (the <paramref name="limit"/> largest), in one pass.</summary>
    Task<AlertCounts> CountAlertsAsync(DateTimeOffset since, int limit, CancellationToken cancellationToken);

    /// <summary>The fleet view of each mismatch of these alerts, as <see cref="IFleetView.FleetSeen"/> gives it (the same definition).</summary>
    Task<IReadOnlyDictionary<long, FleetSeen?[]>> FleetSeenAsync(IReadOnlyCollection<long> seqs, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The VMs a host's alerts name, the most recently seen first.</summary>
    Task<IReadOnlyList<VmSeen>> VmsOfHostAsync(string host, CancellationToken cancellationToken);

    /// <summary>The console's audit log, newest first; only the changes of <paramref name="profile"/> when given.</summary>
    Task<IReadOnlyList<ConsoleChange>> ListChangesAsync(string? profile, int limit, CancellationToken cancellationToken);
}

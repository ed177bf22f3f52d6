using Sysprint.Fleet;
using Sysprint.Storage;

namespace Sysprint.App.Alerts;

/// <summary>The one alert history (<c>alerts</c>): what check, run, attach and watch raised, newest first.</summary>
public static class AlertService
{
    /// <summary>
    /// The alerts matching <paramref name="query"/>, each with the fleet's view of its mismatches
    /// when the store keeps every host's alerts (<see cref="IFingerprintStore.FleetView"/>).
    /// </summary>
    /// <param name="now">The end of the period the fleet view counts hosts over.</param>
    public static IReadOnlyList<ListedAlert> List(IFingerprintStore store, AlertQuery query, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(query);
        IReadOnlyList<AlertEntry> alerts = store.ListAlerts(query);
        IReadOnlyDictionary<long, FleetSeen?[]>? seen = store.FleetView is { } fleet && alerts.Count > 0
            ? fleet.FleetSeen([.. alerts.Select(a => a.Seq)], now)
            : null;
        return [.. alerts.Select(a => new ListedAlert(a, seen is null ? null : seen.GetValueOrDefault(a.Seq, [])))];
    }
}

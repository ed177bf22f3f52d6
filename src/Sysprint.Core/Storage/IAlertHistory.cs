namespace Sysprint.Storage;

/// <summary>
/// The store's one alert history: every alert from <c>check</c>, <c>run</c>, <c>attach</c> and
/// <c>watch</c>. Part of every fingerprint store (<see cref="IFingerprintStore"/>).
/// </summary>
public interface IAlertHistory
{
    /// <summary>
    /// Records an alert (its <see cref="AlertEntry.Seq"/> is ignored). Returns false, writing
    /// nothing, when an alert with the same <see cref="AlertEntry.Id"/> is already there: delivery
    /// may repeat, the history keeps each alert once.
    /// </summary>
    bool RecordAlert(AlertEntry alert);

    /// <summary>The alerts that match <paramref name="query"/>, newest first (by time, then arrival).</summary>
    IReadOnlyList<AlertEntry> ListAlerts(AlertQuery query);
}

namespace Sysprint.Storage;

/// <summary>
/// One alert of the store's alert history, whatever raised it: an anomalous log found by
/// <c>check</c>, a run or process traced by <c>run</c> or <c>attach</c>, or a finding of the agent
/// (<c>watch</c>). The history is what <c>sysprint alerts</c> and <c>stats</c> show.
/// </summary>
/// <param name="Seq">The store's own order of arrival (0 before it is stored).</param>
/// <param name="Id">A UUID; for the agent's alerts, the same <c>uuid</c> its sinks received. Unique in a store.</param>
/// <param name="Source">One of <see cref="AlertSources"/>.</param>
/// <param name="Host">The host that raised it, or null (alerts recorded before hosts were kept).</param>
/// <param name="Log">The log, or the traced command, the alert is about.</param>
/// <param name="Rule">What kind of alert (the agent's rule, e.g. its own trouble with a log); null for a verdict on a log.</param>
/// <param name="Mismatches">How many mismatches it reports (0 for the agent's own trouble).</param>
/// <param name="Summary">One human line.</param>
/// <param name="DetailsJson">The mismatches as a JSON array (as <c>check --json</c>'s <c>details</c>).</param>
public sealed record AlertEntry(
    long Seq,
    string Id,
    DateTimeOffset Time,
    string Source,
    string? Host,
    string? Vm,
    string? Log,
    string? Profile,
    string? Detector,
    string? Rule,
    long Mismatches,
    string Summary,
    string DetailsJson)
{
    /// <summary>The traced executable's path (<c>run</c>, <c>attach</c>; kept by the PostgreSQL store), else null.</summary>
    public string? BinaryPath { get; init; }

    /// <summary>The traced executable's SHA-256, lowercase hex (as <see cref="BinaryPath"/>), else null.</summary>
    public string? BinarySha256 { get; init; }
}

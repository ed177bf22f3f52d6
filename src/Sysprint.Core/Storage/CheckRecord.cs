namespace Sysprint.Storage;

/// <summary>The outcome of checking one log, as stored.</summary>
/// <param name="DetailsJson">The mismatches as a JSON array (the <c>details</c> of <c>check --json</c>).</param>
public sealed record CheckRecord(
    string Log,
    string? Vm,
    string Profile,
    string Detector,
    bool Anomalous,
    long Syscalls,
    long Mismatches,
    double Score,
    string Summary,
    string DetailsJson,
    DateTimeOffset Time)
{
    public string Verdict => Anomalous ? "anomalous" : "normal";
}

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
    /// <summary>What checked the log (<see cref="AlertSources"/>): check, run or attach.</summary>
    public string Source { get; init; } = AlertSources.Check;

    /// <summary>The host that checked it, named in its alert.</summary>
    public string? Host { get; init; }

    /// <summary>The id its alert gets when anomalous (a new UUID unless given).</summary>
    public string AlertId { get; init; } = Guid.NewGuid().ToString();

    public string Verdict => Anomalous ? "anomalous" : "normal";
}

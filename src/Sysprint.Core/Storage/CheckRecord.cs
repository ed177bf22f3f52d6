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

    /// <summary>The traced program's name (<c>run</c>, <c>attach</c>), else null.</summary>
    public string? Program { get; init; }

    /// <summary>The traced executable's path (<c>run</c>, <c>attach</c>), else null.</summary>
    public string? BinaryPath { get; init; }

    /// <summary>The traced executable's SHA-256, lowercase hex (<c>run</c>, <c>attach</c>), else null. Kept by the PostgreSQL store.</summary>
    public string? BinarySha256 { get; init; }

    public string Verdict => Anomalous ? "anomalous" : "normal";
}

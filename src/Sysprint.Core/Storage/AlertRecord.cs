namespace Sysprint.Storage;

/// <summary>An anomalous session reported to the administrator: which log, from which VM, why.</summary>
public sealed record AlertRecord(
    long Id,
    DateTimeOffset Time,
    string? Vm,
    string Log,
    string Profile,
    long Mismatches,
    string Summary,
    string DetailsJson);

namespace Sysprint.Storage;

/// <summary>Counts for <c>sysprint stats</c>.</summary>
public sealed record StoreStats(
    int SchemaVersion,
    string MappingSource,
    int MappingNames,
    int LearntNames,
    IReadOnlyList<ProfileStats> Profiles,
    long Checks,
    long AnomalousChecks,
    long Alerts);

/// <summary>One profile's counts.</summary>
public sealed record ProfileStats(string Name, int Window, string Detector, double Threshold, long Grams, long Logs, long Syscalls, DateTimeOffset? LastLearnt);

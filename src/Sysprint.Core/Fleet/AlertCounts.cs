namespace Sysprint.Fleet;

/// <summary>The alerts of a period counted per hour (oldest first) and per host and profile (largest first).</summary>
public sealed record AlertCounts(IReadOnlyList<AlertCount> ByHour, IReadOnlyList<AlertCount> ByHost, IReadOnlyList<AlertCount> ByProfile);

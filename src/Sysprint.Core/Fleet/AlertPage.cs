namespace Sysprint.Fleet;

/// <summary>One page of the console's alerts and how many alerts match the filter in all.</summary>
public sealed record AlertPage(IReadOnlyList<ConsoleAlert> Alerts, long Total);

namespace Sysprint.Fleet;

/// <summary>
/// One page of the console's alerts and how many alerts match the filter: exactly up to
/// <see cref="MaxCount"/>; beyond it <see cref="Total"/> is <see cref="MaxCount"/> and
/// <see cref="TotalExact"/> false (counting 100,000 rows for each page costs more than the page).
/// </summary>
public sealed record AlertPage(IReadOnlyList<ConsoleAlert> Alerts, long Total, bool TotalExact)
{
    public const int MaxCount = 10_000;
}

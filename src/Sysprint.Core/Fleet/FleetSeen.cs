namespace Sysprint.Fleet;

/// <summary>
/// The fleet view of one mismatch: on how many hosts (<see cref="Hosts"/>) an alert named the same
/// transition under the same profile in the last <see cref="Period"/>, of how many hosts
/// (<see cref="Of"/>). "Seen on 1 of 212 hosts" points to an attack on that host; "seen on 190 of
/// 212" to a new release. The exact definition is the PostgreSQL store's (docs/FLEET.md, "Seen on
/// N of M hosts").
/// </summary>
public readonly record struct FleetSeen(long Hosts, long Of)
{
    /// <summary>The period counted back from now: 7 days.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromDays(7);

    /// <summary>The period in whole days, as the JSON's <c>days</c>.</summary>
    public static int PeriodDays => (int)Period.TotalDays;
}

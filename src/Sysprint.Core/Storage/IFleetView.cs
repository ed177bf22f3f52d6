using Sysprint.Fleet;

namespace Sysprint.Storage;

/// <summary>
/// A store that knows the fleet (PostgreSQL, where every host's alerts meet): the fleet view of
/// each mismatch of its alerts (<see cref="FleetSeen"/>). A single host's store has none.
/// </summary>
public interface IFleetView
{
    /// <summary>
    /// For each alert of <paramref name="seqs"/> that has mismatches, one entry per mismatch of its
    /// details, in their order: on how many hosts of how many it was seen in the
    /// <see cref="FleetSeen.Period"/> before <paramref name="now"/>; null for a mismatch that names
    /// no transition or an alert without a profile.
    /// </summary>
    IReadOnlyDictionary<long, FleetSeen?[]> FleetSeen(IReadOnlyCollection<long> seqs, DateTimeOffset now);
}

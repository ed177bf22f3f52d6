using Sysprint.Fleet;
using Sysprint.Storage;

namespace Sysprint.App.Alerts;

/// <summary>An alert of the history, as <see cref="AlertService.List"/> lists it.</summary>
/// <param name="Seen">
/// Per mismatch of its details, on how many hosts of the fleet it was seen (null for a mismatch that
/// names no transition); null when the store keeps one host's alerts only.
/// </param>
public sealed record ListedAlert(AlertEntry Alert, FleetSeen?[]? Seen);

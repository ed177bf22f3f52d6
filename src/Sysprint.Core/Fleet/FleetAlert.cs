namespace Sysprint.Fleet;

/// <summary>An alert stored centrally: what the agent sent, the host it came from, when it arrived.</summary>
/// <param name="Seq">The server's own order of arrival (for paging).</param>
/// <param name="Uuid">The agent's id of the alert; unique per host.</param>
public sealed record FleetAlert(
    long Seq,
    Guid Uuid,
    string Host,
    DateTimeOffset Time,
    DateTimeOffset Received,
    string Rule,
    string Priority,
    string Source,
    string? Vm,
    string? Log,
    string? Profile,
    string Output,
    string Json);

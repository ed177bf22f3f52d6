namespace Sysprint.Fleet;

/// <summary>One alert as an agent sends it, checked and taken apart by the server.</summary>
/// <param name="Uuid">The agent's deterministic id (the Falco <c>uuid</c>): the same anomaly always has the same one.</param>
/// <param name="Json">The alert as the agent rendered it (Falco's shape), kept whole.</param>
public sealed record AlertUpload(
    Guid Uuid,
    DateTimeOffset Time,
    string Rule,
    string Priority,
    string Source,
    string? Vm,
    string? Log,
    string? Profile,
    string Output,
    string Json);

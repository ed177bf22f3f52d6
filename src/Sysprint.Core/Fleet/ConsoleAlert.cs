namespace Sysprint.Fleet;

/// <summary>A central alert with what the console adds: its detector and program (from the agent's fields) and the administrator's decision on it.</summary>
/// <param name="StatusBy">Who acknowledged or dismissed it (the name given at sign-in), or null while new.</param>
public sealed record ConsoleAlert(
    FleetAlert Alert,
    string? Detector,
    string? Program,
    AlertStatus Status,
    string? StatusNote,
    string? StatusBy,
    DateTimeOffset? StatusAt);

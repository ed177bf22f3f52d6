namespace Sysprint.App.Profiles;

/// <summary>What <see cref="ImportService.Import"/> wrote.</summary>
/// <param name="Replaced">A profile of the same name was replaced (else the profile is new).</param>
/// <param name="Logs">Learnt logs imported with their window counts (0: the fingerprint alone).</param>
public sealed record ImportResult(string Profile, bool Replaced, int Transitions, int Window, int Logs);

using Sysprint.Integrity;

namespace Sysprint.App.Profiles;

/// <summary>A profile sealed by <see cref="SealService"/>.</summary>
/// <param name="Transitions">The fingerprint's transitions, as sealed.</param>
/// <param name="WindowLogs">The learnt logs whose window counts the seal covers; null when it covers none.</param>
public sealed record SealedProfile(string Profile, int Transitions, int? WindowLogs, Seal Seal);

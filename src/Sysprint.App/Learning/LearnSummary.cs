namespace Sysprint.App.Learning;

/// <summary>What a <c>train</c> of many logs did, and where each profile it touched stands.</summary>
/// <param name="Logs">Logs given.</param>
/// <param name="Learnt">Logs learnt now.</param>
/// <param name="AlreadyLearnt">Logs whose content was learnt before (nothing changed).</param>
/// <param name="Failed">Logs that were malformed or could not be read.</param>
/// <param name="Syscalls">System calls read from the logs learnt now.</param>
/// <param name="Profiles">Each profile learnt into, by name.</param>
public sealed record LearnSummary(int Logs, int Learnt, int AlreadyLearnt, int Failed, long Syscalls, IReadOnlyList<ProfileStability> Profiles);

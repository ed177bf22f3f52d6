namespace Sysprint.Storage;

/// <summary>One learnt log of a <see cref="ProfileReplacement"/>: the log, the grams it brought, its window counts (or null).</summary>
public sealed record ReplacementLog(LearntLog Log, IReadOnlyList<int[]> Grams, Detection.SubstringModel? Windows);

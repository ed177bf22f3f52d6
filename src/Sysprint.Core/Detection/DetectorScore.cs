using Sysprint.Model;

namespace Sysprint.Detection;

/// <summary>A detector's score of one log, and the windows or calls it is made of.</summary>
/// <param name="Count">The explanations counted with repetition (unseen or rare windows, or calls added and missing).</param>
/// <param name="Details">Distinct explanations in order of first occurrence (none when the scorer was asked not to explain).</param>
/// <param name="Truncated">More distinct explanations occurred than <see cref="FingerprintChecker.MaxDistinctMismatches"/>.</param>
public sealed record DetectorScore(double Score, long Count, IReadOnlyList<Mismatch> Details, bool Truncated);

namespace Sysprint.Detection;

/// <summary>
/// A detector's registration: its <c>--detector</c> name, the instance <c>check</c> uses on a
/// profile of a given window (validating that it fits), and the variants <c>eval</c> measures.
/// </summary>
/// <param name="Name">The <c>--detector</c> value.</param>
/// <param name="ForProfile">The detector for a profile of that window.</param>
/// <param name="Evaluated">The variants the evaluation scores (e.g. stide-2 to stide-10).</param>
public sealed record DetectorKind(string Name, Func<int, Detector> ForProfile, Func<IEnumerable<Detector>> Evaluated);

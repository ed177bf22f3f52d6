using Sysprint.Detection;
using Sysprint.Diagnostics;

namespace Sysprint.Engine;

/// <summary>
/// The registry of detectors: every one that <c>check</c>, <c>run</c>, <c>attach</c>, <c>watch</c>
/// and <c>profile</c> can use (by <c>--detector</c> name) and that <c>eval</c> measures. A new
/// detector is one <see cref="Detector"/> subclass plus its line in <see cref="Kinds"/>.
/// </summary>
public static class Detectors
{
    /// <summary>Every registered detector, in the order help texts and the evaluation list them.</summary>
    public static IReadOnlyList<DetectorKind> Kinds { get; } =
    [
        PaperDetector.Registration,
        StideDetector.Registration,
        LfcDetector.Registration,
        ZStideDetector.Registration,
        FreqDetector.Registration,
        CallSetDetector.Registration,
        FusedDetector.Registration,
    ];

    /// <summary>
    /// What the evaluation recommends deploying, and what <c>profile --false-alarms</c> sets when it
    /// is given no detector: on ADFA-LD, the best detection at 10% false alarms of the registered
    /// detectors (docs/EVALUATION.md).
    /// </summary>
    public static string Recommended => FusedDetector.KindName;

    /// <summary>The <c>--detector</c> names.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Kinds.Select(k => k.Name)];

    /// <summary>The detector named <paramref name="name"/>, or null.</summary>
    public static DetectorKind? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (DetectorKind kind in Kinds)
        {
            if (kind.Name == name)
            {
                return kind;
            }
        }

        return null;
    }

    /// <summary>The detector named <paramref name="name"/> for a profile of <paramref name="window"/>.</summary>
    /// <exception cref="SysprintException">No such detector, or it does not fit the profile (Usage).</exception>
    public static Detector ForProfile(string name, int window)
    {
        ArgumentNullException.ThrowIfNull(name);
        DetectorKind kind = Find(name) ?? throw Unknown(name);
        return kind.ForProfile(window);
    }

    /// <summary>Checks that <paramref name="detector"/> can run on a profile of <paramref name="window"/>.</summary>
    /// <exception cref="SysprintException">It cannot (Usage).</exception>
    public static void Validate(string detector, int window) => ForProfile(detector, window);

    /// <summary>True for a detector whose score is known only once the log ends (it reads the window counts).</summary>
    public static bool ReadsWindowCounts(string detector) => Find(detector)?.ForProfile(Model.Fingerprint.MinWindow).ReadsWindowCounts ?? false;

    /// <summary>The detectors the evaluation measures: every registered one's variants (paper, stide-2 ... stide-10, lfc-6, zstide, freq-6, callset).</summary>
    public static IReadOnlyList<Detector> Evaluated()
    {
        var all = new List<Detector>();
        foreach (DetectorKind kind in Kinds)
        {
            all.AddRange(kind.Evaluated());
        }

        return all;
    }

    private static SysprintException Unknown(string detector)
    {
        string evalOnly = detector.StartsWith("freq-", StringComparison.Ordinal) ? $" ('{detector}' is the evaluation's name for 'freq')"
            : detector.StartsWith("stide-", StringComparison.Ordinal) || detector.StartsWith("lfc-", StringComparison.Ordinal)
            ? $" ('{detector}' is an evaluation variant: in check, use 'stide' or 'lfc' on a profile trained with the window it names)"
            : "";
        return new SysprintException(ErrorKind.Usage, $"unknown detector '{detector}': check knows {string.Join(", ", All)}{evalOnly}");
    }
}

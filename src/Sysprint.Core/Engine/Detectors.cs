using Sysprint.Diagnostics;

namespace Sysprint.Engine;

/// <summary>
/// The detectors <c>check</c> can use on a profile's fingerprint. Each scores a log and calls it
/// anomalous when the score exceeds the threshold; every point of the score is a mismatching
/// window that the report lists.
/// </summary>
public static class Detectors
{
    /// <summary>The paper's fingerprint: mismatching pairs (window-2 profiles), anomalous beyond the threshold (0: any).</summary>
    public const string Paper = "paper";

    /// <summary>stide: mismatching windows of the profile's length.</summary>
    public const string Stide = "stide";

    /// <summary>Locality frame count: the most mismatching windows within any <see cref="LocalityFrame"/> calls of a thread.</summary>
    public const string Lfc = "lfc";

    /// <summary>The locality frame of <see cref="Lfc"/>, in calls (Warrender et al. used 20).</summary>
    public const int LocalityFrame = 20;

    /// <summary>Ours: unseen-window shares for k = 2..10, standardised leave-one-out on the learnt logs (a z-score).</summary>
    public const string ZStide = "zstide";

    /// <summary>t-stide: 6-call windows unseen or rare in normal runs.</summary>
    public const string Freq = "freq";

    /// <summary>Ours: Jaccard distance from the log's distinct calls to the nearest learnt log's (0 to 1).</summary>
    public const string CallSet = "callset";

    public static readonly IReadOnlyList<string> All = [Paper, Stide, Lfc, ZStide, Freq, CallSet];

    /// <summary>True for the detectors that read the profile's window model rather than its fingerprint.</summary>
    public static bool UsesWindowModel(string detector) => detector is ZStide or Freq or CallSet;

    /// <summary>Checks that <paramref name="detector"/> can run on a profile of <paramref name="window"/>.</summary>
    public static void Validate(string detector, int window)
    {
        ArgumentNullException.ThrowIfNull(detector);
        if (!All.Contains(detector))
        {
            string evalOnly = detector.StartsWith("freq-", StringComparison.Ordinal) ? $" ('{detector}' is the evaluation's name for 'freq')"
                : detector.StartsWith("stide-", StringComparison.Ordinal) || detector.StartsWith("lfc-", StringComparison.Ordinal)
                ? $" ('{detector}' is an evaluation variant: in check, use 'stide' or 'lfc' on a profile trained with the --window it names)"
                : "";
            throw new SysprintException(ExitCodes.Usage,
                $"unknown detector '{detector}': check knows {string.Join(", ", All)}{evalOnly}");
        }

        if (detector == Paper && window != 2)
        {
            throw new SysprintException(ExitCodes.Usage,
                $"detector 'paper' is the paper's pairs and needs a window-2 profile; this profile has window {window}: use 'stide' or 'lfc'");
        }
    }
}

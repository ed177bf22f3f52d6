using Sysprint.Diagnostics;

namespace Sysprint.Detection;

/// <summary>
/// The paper's fingerprint (Gupta and Kumar): every previous → next pair of a thread's calls that
/// normal runs never made is a mismatch; the score counts them (threshold 0: any). It is stide with
/// pairs, and needs a window-2 profile.
/// </summary>
public sealed class PaperDetector : Detector
{
    public const string KindName = "paper";

    /// <summary>The registration: a window-2 profile only.</summary>
    public static DetectorKind Registration { get; } = new(KindName, ForProfile, () => [new PaperDetector()]);

    /// <summary>The detector for a profile of <paramref name="window"/>.</summary>
    /// <exception cref="SysprintException">The profile's window is not 2 (Usage).</exception>
    public static PaperDetector ForProfile(int window) => window == 2
        ? new PaperDetector()
        : throw new SysprintException(ErrorKind.Usage,
            $"detector 'paper' is the paper's pairs and needs a window-2 profile; this profile has window {window}: use 'stide' or 'lfc'");

    public override string Name => KindName;

    public override string Kind => KindName;

    public override string Description => "mismatching previous → next pairs (the paper's fingerprint)";

    public override int FingerprintWindow => 2;

    public override string? CalibrationName => KindName;

    public override DetectorScorer NewScorer(NormalRuns normal, ScorerOptions options) => new NovelWindowScorer(2, 0, options);

    public override double[] HeldOut(NormalRuns normal) => StideDetector.NovelHeldOut(normal, 2);
}

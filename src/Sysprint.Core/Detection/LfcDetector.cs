using Sysprint.Model;

namespace Sysprint.Detection;

/// <summary>
/// Locality frame count (Warrender, Forrest and Pearlmutter 1999): the most novel windows of
/// <see cref="Window"/> calls among any <see cref="Frame"/> consecutive calls of one thread. In check
/// it reads the profile's fingerprint, whose window it takes; the evaluation measures lfc-6.
/// </summary>
public sealed class LfcDetector : Detector
{
    public const string KindName = "lfc";

    /// <summary>The locality frame, in calls (Warrender et al. used 20).</summary>
    public const int DefaultFrame = 20;

    public LfcDetector(int window, int frame = DefaultFrame, string? name = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, Fingerprint.MinWindow);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(window, Fingerprint.MaxWindow);
        ArgumentOutOfRangeException.ThrowIfLessThan(frame, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(frame, 64);
        Window = window;
        Frame = frame;
        Name = name ?? $"lfc-{window}";
    }

    /// <summary>The registration: check's lfc takes the profile's window.</summary>
    public static DetectorKind Registration { get; } = new(
        KindName,
        window => new LfcDetector(window, DefaultFrame, KindName),
        () => [new LfcDetector(6)]);

    public int Window { get; }

    public int Frame { get; }

    public override string Name { get; }

    public override string Kind => KindName;

    public override string Description => $"most unseen {Window}-call windows within any {Frame} consecutive calls";

    public override int FingerprintWindow => Window;

    public override DetectorScorer NewScorer(NormalRuns normal, ScorerOptions options) => new NovelWindowScorer(Window, Frame, options);
}

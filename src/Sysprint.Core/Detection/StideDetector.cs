using Sysprint.Model;

namespace Sysprint.Detection;

/// <summary>
/// stide (Forrest et al. 1996): the number of windows of <see cref="Window"/> calls never seen in
/// normal runs, each explained by the window. In check it reads the profile's fingerprint, whose
/// window it takes; the evaluation measures windows 2 to 10 (stide-2 ... stide-10).
/// </summary>
public sealed class StideDetector : Detector
{
    public const string KindName = "stide";

    public StideDetector(int window, string? name = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, Fingerprint.MinWindow);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(window, Fingerprint.MaxWindow);
        Window = window;
        Name = name ?? $"stide-{window}";
    }

    /// <summary>The registration: check's stide takes the profile's window.</summary>
    public static DetectorKind Registration { get; } = new(
        KindName,
        window => new StideDetector(window, KindName),
        () => Enumerable.Range(2, SubstringModel.MaxWindow - 1).Select(k => new StideDetector(k)));

    public int Window { get; }

    public override string Name { get; }

    public override string Kind => KindName;

    public override string Description => $"windows of {Window} calls never seen in normal runs";

    public override int FingerprintWindow => Window;

    public override string? CalibrationName => $"stide (windows up to {SubstringModel.MaxWindow})";

    public override DetectorScorer NewScorer(NormalRuns normal, ScorerOptions options) => new NovelWindowScorer(Window, 0, options);

    public override double[] HeldOut(NormalRuns normal) =>
        Window <= SubstringModel.MaxWindow ? NovelHeldOut(normal, Window) : base.HeldOut(normal);

    /// <summary>Each learnt log's novel windows of <paramref name="window"/> calls, held out in learning order.</summary>
    internal static double[] NovelHeldOut(NormalRuns normal, int window)
    {
        ArgumentNullException.ThrowIfNull(normal);
        IReadOnlyList<HeldOutLog> held = normal.HeldOutLogs;
        var scores = new double[held.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = held[i].Novel[window];
        }

        return scores;
    }
}

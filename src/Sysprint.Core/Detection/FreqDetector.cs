namespace Sysprint.Detection;

/// <summary>
/// t-stide (Warrender et al. 1999): windows of <see cref="ScoredCall.CountWindow"/> calls that are
/// novel, or rare in normal runs (seen in fewer than 0.001% of all normal windows), count as
/// anomalous. Reads the window counts; a novel window is explained by its shortest novel part, a
/// rare one by itself.
/// </summary>
public sealed class FreqDetector : Detector
{
    public const string KindName = "freq";

    /// <summary>The share of all normal windows under which a window is rare, by default (Warrender et al.'s 0.001%).</summary>
    public const double DefaultRareShare = 0.00001;

    private static readonly FreqDetector s_instance = new();

    /// <param name="rareShare">A window seen in fewer than this share of all normal windows is rare.</param>
    public FreqDetector(double rareShare = DefaultRareShare)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rareShare);
        RareShare = rareShare;
    }

    /// <summary>A window seen in fewer than this share of all normal windows is rare.</summary>
    public double RareShare { get; }

    /// <summary>The registration: check's freq and eval's freq-6 are the same detector.</summary>
    public static DetectorKind Registration { get; } = new(KindName, _ => s_instance, () => [s_instance]);

    public static int Window => ScoredCall.CountWindow;

    public override string Name => $"freq-{Window}";

    public override string Kind => KindName;

    public override string Description => $"windows of {Window} calls unseen or rare (< 0.001% of normal windows)";

    public override bool ReadsWindowCounts => true;

    /// <summary>A window seen fewer times than this in <paramref name="normal"/> is rare.</summary>
    public double RareBelow(NormalRuns normal)
    {
        ArgumentNullException.ThrowIfNull(normal);
        return normal.Windows.Total(Window) * RareShare;
    }

    public override DetectorScorer NewScorer(NormalRuns normal, ScorerOptions options) => new Scorer(RareBelow(normal), options);

    private sealed class Scorer(double rareBelow, ScorerOptions options) : DetectorScorer(options)
    {
        private long _anomalous;

        public override double Score => _anomalous;

        public override void OnCall(in ScoredCall scored)
        {
            if (scored.IsNovel(Window))
            {
                _anomalous++;
                Explain(scored.Recent[^(scored.Longest + 1)..], scored.Line, scored.Thread);
            }
            else if (scored.Position >= Window && scored.Count < rareBelow)
            {
                _anomalous++;
                Explain(scored.Recent[^Window..], scored.Line, scored.Thread, "rare");
            }
        }
    }
}

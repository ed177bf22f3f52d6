namespace Sysprint.Detection;

/// <summary>
/// Our design, fixed before looking at any test result: stide at every window length 2..10 at once.
/// For each k, the share of the trace's windows never seen in normal runs is standardised against
/// the same share measured leave-one-out on the learnt traces (each learnt trace checked against
/// the others), and the score is the mean of those z-scores. It learns from normal traces only,
/// and its alert is explained by the shortest novel window at each call where a 10-window is novel.
/// </summary>
public sealed class ZStideDetector : Detector
{
    public const string KindName = "zstide";

    private const int Shortest = 2;

    private static readonly ZStideDetector s_instance = new();

    /// <summary>The registration.</summary>
    public static DetectorKind Registration { get; } = new(KindName, _ => s_instance, () => [s_instance]);

    public override string Name => KindName;

    public override string Kind => KindName;

    public override string Description => "unseen-window shares for k = 2..10, each standardised leave-one-out on the normal traces, averaged";

    public override bool ReadsWindowCounts => true;

    public override string? CalibrationName => KindName;

    public override DetectorScorer NewScorer(NormalRuns normal, ScorerOptions options) =>
        new Scorer(normal.Calibration(Calibrate), options);

    public override double[] HeldOut(NormalRuns normal)
    {
        ArgumentNullException.ThrowIfNull(normal);
        Calibrated calibrated = normal.Calibration(Calibrate);
        IReadOnlyList<HeldOutLog> held = normal.HeldOutLogs;
        var scores = new double[held.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = calibrated.Score(held[i].Calls, held[i].Novel);
        }

        return scores;
    }

    /// <summary>The mean and deviation of each k's novel share over the learnt logs, each left out.</summary>
    internal static Calibrated Calibrate(NormalRuns normal)
    {
        Dictionary<int, long[]> leftOut = normal.Windows.NovelWhenLeftOut();
        var sum = new double[SubstringModel.MaxWindow + 1];
        var squares = new double[SubstringModel.MaxWindow + 1];
        int n = 0;
        foreach ((int trace, long calls) in normal.Logs)
        {
            if (calls == 0)
            {
                continue;
            }

            long[]? novel = leftOut.GetValueOrDefault(trace);
            for (int k = Shortest; k <= SubstringModel.MaxWindow; k++)
            {
                double share = novel is null ? 0 : novel[k] / (double)calls;
                sum[k] += share;
                squares[k] += share * share;
            }

            n++;
        }

        var mean = new double[SubstringModel.MaxWindow + 1];
        var deviation = new double[SubstringModel.MaxWindow + 1];
        for (int k = Shortest; k <= SubstringModel.MaxWindow; k++)
        {
            mean[k] = n == 0 ? 0 : sum[k] / n;
            deviation[k] = n < 2 ? 1 : Math.Max(Math.Sqrt(Math.Max(0, (squares[k] / n) - (mean[k] * mean[k]))), 1e-6);
        }

        return new Calibrated(mean, deviation, n);
    }

    /// <summary>The calibration: per k, the mean and deviation of the learnt logs' novel shares.</summary>
    /// <param name="LearntTraces">Learnt traces (with at least one call) it saw.</param>
    internal sealed record Calibrated(double[] Mean, double[] Deviation, int LearntTraces)
    {
        /// <summary>The score of a trace of <paramref name="calls"/> calls holding <paramref name="novel"/>[k] novel k-windows (null: none).</summary>
        public double Score(long calls, long[]? novel)
        {
            double z = 0;
            for (int k = Shortest; k <= SubstringModel.MaxWindow; k++)
            {
                double share = calls == 0 || novel is null ? 0 : novel[k] / (double)calls;
                z += (share - Mean[k]) / Deviation[k];
            }

            return z / (SubstringModel.MaxWindow - Shortest + 1);
        }
    }

    private sealed class Scorer(Calibrated calibrated, ScorerOptions options) : DetectorScorer(options)
    {
        private readonly long[] _novel = new long[SubstringModel.MaxWindow + 1];
        private long _calls;

        public override double Score => calibrated.Score(_calls, _novel);

        public override void OnCall(in ScoredCall scored)
        {
            _calls++;
            for (int k = Math.Max(Shortest, scored.NovelFrom); k <= SubstringModel.MaxWindow; k++)
            {
                _novel[k]++;
            }

            if (scored.IsNovel(SubstringModel.MaxWindow))
            {
                Explain(scored.Recent[^(scored.Longest + 1)..], scored.Line, scored.Thread);
            }
        }
    }
}

namespace Sysprint.Detection;

/// <summary>
/// Our design, fixed before looking at any test result: stide at every window length 2..10 at once.
/// For each k, the share of the trace's windows never seen in normal runs is standardised against
/// the same share measured leave-one-out on the learnt traces (each learnt trace checked against
/// the others), and the score is the mean of those z-scores. It learns from normal traces only,
/// and its alert is explained by the unseen windows, as stide's.
/// </summary>
public sealed class ZStideDetector : TraceDetector
{
    private const int Shortest = 2;
    private readonly double[] _mean = new double[SubstringModel.MaxWindow + 1];
    private readonly double[] _deviation = new double[SubstringModel.MaxWindow + 1];

    /// <summary>Calibrates on the learnt traces of <paramref name="model"/>: each trace's id there and its number of calls.</summary>
    public ZStideDetector(SubstringModel model, IEnumerable<(int Trace, long Calls)> learnt)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(learnt);
        Dictionary<int, long[]> leftOut = model.NovelWhenLeftOut();
        var sum = new double[SubstringModel.MaxWindow + 1];
        var squares = new double[SubstringModel.MaxWindow + 1];
        int n = 0;
        foreach ((int trace, long calls) in learnt)
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

        for (int k = Shortest; k <= SubstringModel.MaxWindow; k++)
        {
            double mean = n == 0 ? 0 : sum[k] / n;
            _mean[k] = mean;
            _deviation[k] = n < 2 ? 1 : Math.Max(Math.Sqrt(Math.Max(0, (squares[k] / n) - (mean * mean))), 1e-6);
        }

        LearntTraces = n;
    }

    /// <summary>Learnt traces (with at least one call) the calibration saw.</summary>
    public int LearntTraces { get; }

    public override string Name => "zstide";

    public override string Description => "unseen-window shares for k = 2..10, each standardised leave-one-out on the normal traces, averaged";

    public override double Score(TraceAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        return Score(analysis.Calls, analysis.NovelWindows);
    }

    /// <summary>The score of a trace of <paramref name="calls"/> calls holding <paramref name="novelWindows"/>(k) unseen k-windows.</summary>
    public double Score(long calls, Func<int, long> novelWindows)
    {
        ArgumentNullException.ThrowIfNull(novelWindows);
        double z = 0;
        for (int k = Shortest; k <= SubstringModel.MaxWindow; k++)
        {
            double share = calls == 0 ? 0 : novelWindows(k) / (double)calls;
            z += (share - _mean[k]) / _deviation[k];
        }

        return z / (SubstringModel.MaxWindow - Shortest + 1);
    }
}

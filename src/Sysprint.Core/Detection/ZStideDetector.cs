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
    private bool _calibrated;

    public override string Name => "zstide";

    public override string Description => "unseen-window shares for k = 2..10, each standardised leave-one-out on the normal traces, averaged";

    public override bool NeedsCalibration => true;

    public override void Calibrate(IReadOnlyList<TraceAnalysis> leaveOneOut)
    {
        ArgumentNullException.ThrowIfNull(leaveOneOut);
        for (int k = Shortest; k <= SubstringModel.MaxWindow; k++)
        {
            double sum = 0;
            double squares = 0;
            int n = 0;
            foreach (TraceAnalysis a in leaveOneOut)
            {
                if (a.Calls == 0)
                {
                    continue;
                }

                double share = Share(a, k);
                sum += share;
                squares += share * share;
                n++;
            }

            double mean = n == 0 ? 0 : sum / n;
            _mean[k] = mean;
            _deviation[k] = n < 2 ? 1 : Math.Max(Math.Sqrt(Math.Max(0, (squares / n) - (mean * mean))), 1e-6);
        }

        _calibrated = true;
    }

    public override double Score(TraceAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        if (!_calibrated)
        {
            throw new InvalidOperationException("zstide scores only after Calibrate");
        }

        double z = 0;
        for (int k = Shortest; k <= SubstringModel.MaxWindow; k++)
        {
            z += (Share(analysis, k) - _mean[k]) / _deviation[k];
        }

        return z / (SubstringModel.MaxWindow - Shortest + 1);
    }

    private static double Share(TraceAnalysis a, int k) => a.Calls == 0 ? 0 : a.NovelWindows(k) / (double)a.Calls;
}

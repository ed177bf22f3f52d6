namespace Sysprint.Evaluation;

/// <summary>One threshold of a ROC curve: a trace is anomalous when its score exceeds <see cref="Threshold"/>.</summary>
public readonly record struct RocPoint(double Threshold, double DetectionRate, double FalseAlarmRate);

/// <summary>The ROC curve of a detector over its threshold, its area, and chosen operating points.</summary>
public sealed class Roc
{
    private Roc(IReadOnlyList<RocPoint> points, double auc)
    {
        Points = points;
        Auc = auc;
    }

    /// <summary>From the most permissive threshold (everything anomalous) to the strictest (nothing).</summary>
    public IReadOnlyList<RocPoint> Points { get; }

    /// <summary>Area under the curve: the chance that an attack trace scores above a normal one (ties count half).</summary>
    public double Auc { get; }

    public static Roc Of(IReadOnlyList<double> normal, IReadOnlyList<double> attack)
    {
        ArgumentNullException.ThrowIfNull(normal);
        ArgumentNullException.ThrowIfNull(attack);
        if (normal.Count == 0 || attack.Count == 0)
        {
            throw new ArgumentException("a ROC curve needs normal and attack scores");
        }

        double[] n = [.. normal];
        double[] a = [.. attack];
        Array.Sort(n);
        Array.Sort(a);
        double[] thresholds = [.. n.Concat(a).Distinct().Order()];
        var points = new List<RocPoint>(thresholds.Length + 1)
        {
            new(thresholds[0] - 1, 1, 1),
        };
        foreach (double t in thresholds)
        {
            points.Add(new RocPoint(t, Above(a, t) / (double)a.Length, Above(n, t) / (double)n.Length));
        }

        // Mann-Whitney U: for each attack score, normal scores below it count 1, equal ones 1/2.
        double wins = 0;
        foreach (double s in a)
        {
            int below = LowerBound(n, s);
            int equal = LowerBound(n, Math.BitIncrement(s)) - below;
            wins += below + (0.5 * equal);
        }

        return new Roc(points, wins / ((double)a.Length * n.Length));
    }

    /// <summary>The best detection rate with a false-alarm rate at most <paramref name="maxFalseAlarmRate"/>.</summary>
    public RocPoint At(double maxFalseAlarmRate)
    {
        RocPoint best = Points[^1];
        foreach (RocPoint p in Points)
        {
            if (p.FalseAlarmRate <= maxFalseAlarmRate && (p.DetectionRate > best.DetectionRate
                || (p.DetectionRate == best.DetectionRate && p.FalseAlarmRate < best.FalseAlarmRate)))
            {
                best = p;
            }
        }

        return best;
    }

    /// <summary>Scores strictly above <paramref name="t"/> in a sorted array.</summary>
    private static int Above(double[] sorted, double t) => sorted.Length - LowerBound(sorted, Math.BitIncrement(t));

    private static int LowerBound(double[] sorted, double value)
    {
        int lo = 0;
        int hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}

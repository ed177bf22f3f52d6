namespace Sysprint.Engine;

/// <summary>
/// Chooses a detector's threshold from normal runs alone: the learnt logs are held out in learning
/// order (<see cref="Detection.Detector.HeldOut"/>: each tenth scored against the tenths learnt
/// before it), and the threshold is the score that the requested share of them exceeds at most.
/// </summary>
public static class HeldOutCalibration
{
    /// <summary>
    /// The smallest threshold that at most <paramref name="falseAlarmRate"/> of <paramref name="scores"/>
    /// exceed, and how many do.
    /// </summary>
    public static (double Threshold, int Above) Threshold(IReadOnlyList<double> scores, double falseAlarmRate)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count == 0)
        {
            throw new ArgumentException("no scores to choose a threshold from", nameof(scores));
        }

        double[] sorted = [.. scores];
        Array.Sort(sorted);
        int allowed = (int)Math.Floor(falseAlarmRate * sorted.Length);
        double threshold = sorted[Math.Max(0, sorted.Length - allowed - 1)];
        return (threshold, sorted.Count(s => s > threshold));
    }
}

using Sysprint.Detection;
using Sysprint.Evaluation;
using Sysprint.Engine;
using Sysprint.Storage;

namespace Sysprint.Core.Tests.Engine;

/// <summary>
/// <c>profile --false-alarms</c>'s calibration on synthetic normal logs whose habits drift as time
/// goes on (as ADFA-LD's do): a threshold chosen from the learnt logs must keep its false-alarm rate
/// on normal logs that come later.
/// </summary>
public sealed class HeldOutCalibrationTests
{
    private const int Learnt = 300;
    private const int Later = 1000;

    // A service's normal logs: each runs 4 to 12 routines (fixed call sequences). The routines in use
    // grow while the logs are learnt (new features), then settle; newer routines are rarer.
    private static int[] NormalLog(Random random, int time)
    {
        int available = 8 + (Math.Min(time, Learnt) / 40);
        var calls = new List<int>();
        int routines = random.Next(4, 13);
        for (int r = 0; r < routines; r++)
        {
            // Newer routines are drawn less often: the square favours the old ones.
            int routine = (int)(available * Math.Pow(random.NextDouble(), 2));
            calls.AddRange(Routine(routine));
        }

        return [.. calls];
    }

    private static int[] Routine(int routine)
    {
        var random = new Random(1000 + routine);
        int[] calls = new int[random.Next(3, 9)];
        for (int i = 0; i < calls.Length; i++)
        {
            // A routine uses a few calls of its own and common ones (0 to 5).
            calls[i] = random.Next(2) == 0 ? random.Next(6) : 6 + (routine * 3) + random.Next(3);
        }

        return calls;
    }

    private static NormalRuns Learn(int[][] logs)
    {
        var model = new SubstringModel();
        var vocabularies = new List<int[]>();
        var windows = new List<byte[]>();
        for (int i = 0; i < logs.Length; i++)
        {
            var own = new SubstringModel(capacity: 256);
            own.Learn(logs[i]);
            windows.Add(own.ToBytes());
            vocabularies.Add(model.AddLog(windows[^1], i + 1));
        }

        model.Freeze();
        var stored = new StoredWindowModel(model, [.. logs.Select((l, i) => (i + 1, (long)l.Length))], vocabularies, windows, 0, "digest");
        return WindowCheck.Validate(stored, "store", "p");
    }

    private static double Realised(NormalRuns normal, Detector detector, double threshold, int[][] logs) =>
        logs.Count(log => Evaluator.Score(new LoadedTrace("later", null, [log]), normal, [detector])[0] > threshold) / (double)logs.Length;

    [Theory]
    [InlineData("callset")]
    [InlineData("zstide")]
    public void Held_out_in_learning_order_keeps_the_rate_on_later_logs(string name)
    {
        var random = new Random(7);
        int[][] learnt = [.. Enumerable.Range(0, Learnt).Select(t => NormalLog(random, t))];
        int[][] later = [.. Enumerable.Range(Learnt, Later).Select(t => NormalLog(random, t))];
        NormalRuns normal = Learn(learnt);
        Detector detector = Detectors.ForProfile(name, 2);

        (double threshold, _) = HeldOutCalibration.Threshold(detector.HeldOut(normal), 0.10);
        double realised = Realised(normal, detector, threshold, later);

        // Asked 10%: at most half as much again (seen: callset 11.7%, zstide 0.7%).
        Assert.True(realised <= 0.15, $"{name}: threshold {threshold}, {realised:P1} of later normal logs above it");
    }

    [Fact]
    public void Leave_one_out_lets_through_more_than_twice_the_rate_on_the_same_logs()
    {
        var random = new Random(7);
        int[][] learnt = [.. Enumerable.Range(0, Learnt).Select(t => NormalLog(random, t))];
        int[][] later = [.. Enumerable.Range(Learnt, Later).Select(t => NormalLog(random, t))];
        NormalRuns normal = Learn(learnt);
        Detector callset = Detectors.ForProfile("callset", 2);

        // What profile did before: each learnt log's vocabulary against all the others'.
        double[] leftOut = [.. normal.Vocabularies.Select((v, i) =>
            normal.Vocabularies.Where((_, j) => j != i).Min(other => HeldOut.Jaccard(v, other)))];
        (double threshold, _) = HeldOutCalibration.Threshold(leftOut, 0.10);
        double realised = Realised(normal, callset, threshold, later);

        // Later logs use the routines learnt last, which leave-one-out finds in later learnt logs (seen: 38.6%).
        Assert.True(realised > 0.20, $"threshold {threshold}, {realised:P1} of later normal logs above it");
    }
}

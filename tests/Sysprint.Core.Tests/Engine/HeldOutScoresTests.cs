using Sysprint.Detection;
using Sysprint.Diagnostics;
using Sysprint.Engine;
using Sysprint.Storage;

namespace Sysprint.Core.Tests.Engine;

public sealed class HeldOutScoresTests
{
    private static readonly int[][] s_logs =
    [
        [1, 2, 3, 4, 5, 1, 2, 3],
        [1, 2, 3, 4, 5, 1, 2, 3],
        [1, 2, 3, 6, 5, 1, 2, 3],
        [1, 2, 7, 8, 9],
    ];

    private static NormalRuns Learnt()
    {
        var model = new SubstringModel();
        var vocabularies = new List<int[]>();
        var windows = new List<byte[]>();
        for (int i = 0; i < s_logs.Length; i++)
        {
            var own = new SubstringModel(capacity: 64);
            own.Learn(s_logs[i]);
            windows.Add(own.ToBytes());
            vocabularies.Add(model.AddLog(windows[^1], i + 1));
        }

        model.Freeze();
        var stored = new StoredWindowModel(model, [.. s_logs.Select((l, i) => (i + 1, (long)l.Length))], vocabularies, windows, 0, "digest");
        return WindowCheck.Validate(stored, "store", "p");
    }

    [Fact]
    public void Stide_scores_count_the_windows_no_earlier_part_holds()
    {
        NormalRuns normal = Learnt();

        // 4 logs make parts 0, 2, 5 and 7: log 1 is never held out. Pairs: log 2 repeats log 1;
        // log 3 brings 3 6 and 6 5; log 4 brings 2 7, 7 8 and 8 9. Triples: log 3 brings 2 3 6,
        // 3 6 5 and 6 5 1; log 4 brings 1 2 7, 2 7 8 and 7 8 9.
        Assert.Equal([0, 2, 3], Detectors.ForProfile("paper", 2).HeldOut(normal));
        Assert.Equal([0, 3, 3], Detectors.ForProfile("stide", 3).HeldOut(normal));
    }

    [Fact]
    public void Callset_scores_are_each_vocabulary_against_the_earlier_parts()
    {
        NormalRuns normal = Learnt();

        double[] scores = Detectors.ForProfile("callset", 2).HeldOut(normal);

        // {1..5} again: 0; {1,2,3,5,6} to {1..5}: 4 common of 6; {1,2,7,8,9} to either: 2 common of 8.
        Assert.Equal([0, 1 - (4 / 6.0), 1 - (2 / 8.0)], scores);
    }

    [Fact]
    public void Zstide_scores_the_logs_that_bring_new_windows_higher()
    {
        NormalRuns normal = Learnt();

        double[] scores = Detectors.ForProfile("zstide", 2).HeldOut(normal);

        Assert.Equal(3, scores.Length);
        Assert.True(scores[1] > scores[0] && scores[2] > scores[0], string.Join(' ', scores));
    }

    [Theory]
    [InlineData("freq")]
    [InlineData("lfc")]
    public void Detectors_whose_held_out_score_the_counts_cannot_give_are_refused(string detector)
    {
        NormalRuns normal = Learnt();

        var ex = Assert.Throws<SysprintException>(() => Detectors.ForProfile(detector, 2).HeldOut(normal));

        Assert.Equal(ErrorKind.Usage, ex.Kind);
        Assert.Equal($"a threshold from the learnt logs alone is available for paper, stide (windows up to 10), zstide, callset and fused, not for {detector}", ex.Message);
        Assert.Equal(RemedyKind.GiveThreshold, ex.Remedy?.Kind);
    }

    [Theory]
    [InlineData(0.0, 9.0, 0)]
    [InlineData(0.1, 8.0, 1)]
    [InlineData(0.25, 7.0, 2)]
    [InlineData(0.5, 4.0, 5)]
    [InlineData(1.0, 0.0, 9)]
    public void The_threshold_is_the_smallest_that_at_most_the_rate_exceeds(double rate, double threshold, int above)
    {
        double[] scores = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

        Assert.Equal((threshold, above), HeldOutCalibration.Threshold(scores, rate));
    }

    [Fact]
    public void Ties_never_let_more_than_the_rate_through()
    {
        double[] scores = [0, 0, 0, 0, 0, 0, 0, 5, 5, 5];

        // 20% allowed but three logs share the score 5: the threshold stays at 5, none above.
        Assert.Equal((5.0, 0), HeldOutCalibration.Threshold(scores, 0.2));
    }
}

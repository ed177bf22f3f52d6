using Sysprint.Evaluation;

namespace Sysprint.Core.Tests.Evaluation;

/// <summary><see cref="Roc"/>: the curve over the threshold, its area (Mann–Whitney) and the operating points read off it.</summary>
public sealed class RocTests
{
    [Fact]
    public void Perfectly_separated_scores_have_an_area_of_one()
    {
        Roc roc = Roc.Of([0, 1, 2], [3, 4]);

        Assert.Equal(1.0, roc.Auc);
    }

    [Fact]
    public void Reversed_scores_have_an_area_of_zero()
    {
        Roc roc = Roc.Of([3, 4, 5], [1, 2]);

        Assert.Equal(0.0, roc.Auc);
    }

    [Fact]
    public void Identical_scores_have_an_area_of_one_half_because_ties_count_half()
    {
        Roc roc = Roc.Of([2, 2], [2, 2, 2]);

        Assert.Equal(0.5, roc.Auc);
    }

    [Fact]
    public void Area_is_the_mann_whitney_statistic_of_a_small_case_computed_by_hand()
    {
        // Attack 2 beats normal 1 and ties normal 2 (1 + 1/2); attack 4 beats all three (3).
        // (1.5 + 3) / (2 attacks × 3 normals) = 4.5 / 6.
        Roc roc = Roc.Of([1, 2, 3], [2, 4]);

        Assert.Equal(0.75, roc.Auc, 12);
    }

    [Fact]
    public void Area_does_not_depend_on_the_order_of_the_scores()
    {
        Roc sorted = Roc.Of([1, 2, 3], [2, 4]);
        Roc shuffled = Roc.Of([3, 1, 2], [4, 2]);

        Assert.Equal(sorted.Auc, shuffled.Auc);
        Assert.Equal(sorted.Points, shuffled.Points);
    }

    [Fact]
    public void Points_of_a_small_case_go_from_everything_flagged_to_nothing_flagged()
    {
        Roc roc = Roc.Of([1, 2, 3], [2, 4]);

        // A trace is flagged when its score is strictly above the threshold.
        Assert.Equal(
            [
                new RocPoint(0, 1.0, 1.0),
                new RocPoint(1, 1.0, 2 / 3.0),
                new RocPoint(2, 0.5, 1 / 3.0),
                new RocPoint(3, 0.5, 0.0),
                new RocPoint(4, 0.0, 0.0),
            ],
            roc.Points);
    }

    [Fact]
    public void Points_start_at_one_one_end_at_zero_zero_and_never_rise()
    {
        var random = new Random(20261126);
        double[] normal = [.. Enumerable.Range(0, 200).Select(_ => Math.Round(random.NextDouble() * 10, 1))];
        double[] attack = [.. Enumerable.Range(0, 50).Select(_ => Math.Round((random.NextDouble() * 10) + 3, 1))];

        Roc roc = Roc.Of(normal, attack);

        Assert.Equal((1.0, 1.0), (roc.Points[0].DetectionRate, roc.Points[0].FalseAlarmRate));
        Assert.Equal((0.0, 0.0), (roc.Points[^1].DetectionRate, roc.Points[^1].FalseAlarmRate));
        for (int i = 1; i < roc.Points.Count; i++)
        {
            Assert.True(roc.Points[i].Threshold > roc.Points[i - 1].Threshold, $"threshold of point {i} does not rise");
            Assert.True(roc.Points[i].DetectionRate <= roc.Points[i - 1].DetectionRate, $"detection rises at point {i}");
            Assert.True(roc.Points[i].FalseAlarmRate <= roc.Points[i - 1].FalseAlarmRate, $"false alarms rise at point {i}");
        }
    }

    [Fact]
    public void Area_equals_the_share_of_attack_normal_pairs_the_attack_wins_counted_by_brute_force()
    {
        var random = new Random(7);
        int[] normal = [.. Enumerable.Range(0, 60).Select(_ => random.Next(0, 12))];
        int[] attack = [.. Enumerable.Range(0, 25).Select(_ => random.Next(4, 16))];
        double wins = 0;
        foreach (int a in attack)
        {
            foreach (int n in normal)
            {
                wins += a > n ? 1 : a == n ? 0.5 : 0;
            }
        }

        Roc roc = Roc.Of([.. normal.Select(s => (double)s)], [.. attack.Select(s => (double)s)]);

        Assert.Equal(wins / (normal.Length * attack.Length), roc.Auc, 12);
    }

    [Fact]
    public void Operating_point_is_the_best_detection_with_at_most_the_given_false_alarm_rate()
    {
        // Nine normal traces score 0 and one scores 5: flagging above 0 costs exactly 10% false alarms.
        double[] normal = [0, 0, 0, 0, 0, 0, 0, 0, 0, 5];
        double[] attack = [1, 5, 6, 7];

        Roc roc = Roc.Of(normal, attack);

        Assert.Equal(new RocPoint(0, 1.0, 0.1), roc.At(0.10));
        Assert.Equal(new RocPoint(5, 0.5, 0.0), roc.At(0.05));
        Assert.Equal(new RocPoint(5, 0.5, 0.0), roc.At(0.0));
    }

    [Fact]
    public void Operating_point_prefers_fewer_false_alarms_at_equal_detection()
    {
        // Thresholds 2 and 3 both detect half the attacks; 3 does it without false alarms.
        Roc roc = Roc.Of([1, 2, 3], [2, 4]);

        Assert.Equal(new RocPoint(3, 0.5, 0.0), roc.At(0.5));
        Assert.Equal(new RocPoint(1, 1.0, 2 / 3.0), roc.At(0.7));
    }

    [Fact]
    public void Operating_point_with_no_false_alarm_allowed_is_the_strictest_useful_threshold()
    {
        Roc roc = Roc.Of([3, 4, 5], [1, 2]);

        Assert.Equal(new RocPoint(5, 0.0, 0.0), roc.At(0.10));
    }

    [Fact]
    public void Empty_normal_scores_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Roc.Of([], [1.0]));
    }

    [Fact]
    public void Empty_attack_scores_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Roc.Of([1.0], []));
    }

    [Fact]
    public void Negative_and_fractional_scores_are_thresholded_strictly()
    {
        // zstide scores are negative for normal-looking traces.
        Roc roc = Roc.Of([-1.5, -0.25], [-0.25, 0.75]);

        Assert.Equal(
            [
                new RocPoint(-2.5, 1.0, 1.0),
                new RocPoint(-1.5, 1.0, 0.5),
                new RocPoint(-0.25, 0.5, 0.0),
                new RocPoint(0.75, 0.0, 0.0),
            ],
            roc.Points);
        Assert.Equal(0.875, roc.Auc, 12);
    }
}

using Sysprint.Detection;
using Sysprint.Engine;
using Sysprint.Evaluation;

namespace Sysprint.Core.Tests.Detection;

/// <summary>
/// The detectors on small hand-made traces, each scored as the evaluation scores it (through a
/// <see cref="SubstringModel"/> learnt from normal ones); every expected score is counted by hand.
/// </summary>
public sealed class DetectorTests
{
    /// <summary>Learnt pairs: 1→2, 2→3, 3→4, 4→1 (and every longer window of the cycle).</summary>
    private static readonly int[] s_cycle = [1, 2, 3, 4, 1, 2, 3, 4];

    private static SubstringModel Learn(params int[][] traces)
    {
        var model = new SubstringModel();
        for (int t = 0; t < traces.Length; t++)
        {
            model.Learn(traces[t], t);
        }

        model.Freeze();
        return model;
    }

    private static Trace Analyse(SubstringModel model, params int[][] threads) => new(new NormalRuns(null, model, [], []), threads);

    private static Trace Analyse(NormalRuns normal, params int[][] threads) => new(normal, threads);

    /// <summary>A trace to score against normal runs.</summary>
    private sealed record Trace(NormalRuns Normal, int[][] Threads);

    private static double Score(Detector detector, Trace trace) =>
        Evaluator.Score(new LoadedTrace("test.log", null, trace.Threads), trace.Normal, [detector])[0];

    private static NormalRuns Runs(SubstringModel model, int[][] learnt) =>
        new(null, model, [.. learnt.Select((t, i) => (i, (long)t.Length))], [.. learnt.Select(t => CallSetDetector.Vocabulary([t]))]);

    [Theory]
    [InlineData(2, 2)] // [2,4] and [4,3]
    [InlineData(3, 3)] // [1,2,4], [2,4,3] and [4,3,4]
    [InlineData(6, 3)] // the same three calls; the first two calls are seen prefixes
    [InlineData(10, 3)]
    public void Stide_counts_the_windows_of_k_calls_never_seen(int k, int expected)
    {
        SubstringModel model = Learn(s_cycle);
        Trace analysis = Analyse(model, [1, 2, 4, 3, 4]);

        double score = Score(new StideDetector(k), analysis);

        Assert.Equal(expected, score);
    }

    [Fact]
    public void Stide_counts_a_call_never_learnt_and_the_window_it_opens()
    {
        SubstringModel model = Learn(s_cycle);
        Trace analysis = Analyse(model, [1, 9, 2]);

        // [1,9] is unseen (9 never learnt), and so is [9,2].
        Assert.Equal(2, Score(new StideDetector(2), analysis));
    }

    [Fact]
    public void Stide_scores_zero_on_a_trace_made_only_of_learnt_windows()
    {
        SubstringModel model = Learn(s_cycle);
        Trace analysis = Analyse(model, [3, 4, 1, 2, 3]);

        Assert.Equal(0, Score(new StideDetector(2), analysis));
        Assert.Equal(0, Score(new StideDetector(6), analysis));
        Assert.Equal(0, Score(new StideDetector(10), analysis));
    }

    [Fact]
    public void Stide_with_long_windows_sees_an_unseen_order_of_learnt_pairs()
    {
        SubstringModel model = Learn(s_cycle);

        // Every pair and every 5-window is learnt; the 6-window 4,1,2,3,4,1 is not.
        Trace analysis = Analyse(model, [4, 1, 2, 3, 4, 1]);

        Assert.Equal(0, Score(new StideDetector(2), analysis));
        Assert.Equal(0, Score(new StideDetector(5), analysis));
        Assert.Equal(1, Score(new StideDetector(6), analysis));
        Assert.Equal(1, Score(new StideDetector(10), analysis));
    }

    [Fact]
    public void Stide_does_not_count_a_window_across_two_threads()
    {
        SubstringModel model = Learn(s_cycle);

        // Read as one sequence, 2→1 and 4→3 would be unseen pairs; each thread alone is learnt.
        Trace analysis = Analyse(model, [1, 2], [1, 2, 3, 4], [3, 4]);

        Assert.Equal(0, Score(new StideDetector(2), analysis));
    }

    [Fact]
    public void Paper_detector_is_stide_with_pairs()
    {
        SubstringModel model = Learn(s_cycle);
        Trace analysis = Analyse(model, [1, 2, 4, 3, 4]);
        var paper = new PaperDetector();

        Assert.Equal("paper", paper.Name);
        Assert.Equal("stide-2", new StideDetector(2).Name);
        Assert.Equal(Score(new StideDetector(2), analysis), Score(paper, analysis));
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(4, 3)]
    [InlineData(8, 4)]
    [InlineData(9, 5)]
    [InlineData(20, 5)]
    public void Lfc_counts_the_most_unseen_windows_within_a_frame(int frame, int expected)
    {
        SubstringModel model = Learn(s_cycle);

        // Unseen pairs end at calls 1 ([1,3]), 2 ([3,1]), 7 ([1,4]), 8 ([4,2]) and 9 ([2,4]).
        Trace analysis = Analyse(model, [1, 3, 1, 2, 3, 4, 1, 4, 2, 4]);

        double score = Score(new LfcDetector(2, frame), analysis);

        Assert.Equal(expected, score);
    }

    [Fact]
    public void Lfc_frame_does_not_span_two_threads()
    {
        SubstringModel model = Learn(s_cycle);

        // One unseen pair per thread ([1,3], then [3,1]); within any frame of one thread, one.
        Trace analysis = Analyse(model, [1, 3], [3, 1]);

        Assert.Equal(1, Score(new LfcDetector(2, 4), analysis));
    }

    [Fact]
    public void Freq_counts_unseen_windows_and_windows_seen_fewer_times_than_the_rare_limit()
    {
        // 6-windows learnt (7): [1,2,3,4,1,2] ×2, [2,3,4,1,2,3] ×2, [3,4,1,2,3,4] ×2, [4,1,2,3,4,1] ×1.
        SubstringModel model = Learn([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);
        Trace analysis = Analyse(model, [4, 1, 2, 3, 4, 1, 2, 3, 9]);

        // The trace's 6-windows: [4,1,2,3,4,1] (learnt once), [1,2,3,4,1,2] and [2,3,4,1,2,3] (twice
        // each), and [3,4,1,2,3,9], unseen (9 was never learnt).
        var belowOne = new FreqDetector(0.5 / 7);
        var belowTwo = new FreqDetector(1.5 / 7);
        var belowTwoAndAHalf = new FreqDetector(2.5 / 7);
        var real = new FreqDetector();

        Assert.Equal(7, model.Total(6));
        Assert.Equal(1.5, belowTwo.RareBelow(new NormalRuns(null, model, [], [])), 12);
        Assert.Equal(1, Score(belowOne, analysis));
        Assert.Equal(2, Score(belowTwo, analysis));
        Assert.Equal(4, Score(belowTwoAndAHalf, analysis));
        Assert.Equal(1, Score(real, analysis));
        Assert.Equal(Score(new StideDetector(6), analysis), Score(real, analysis));
    }

    [Fact]
    public void Freq_counts_the_whole_window_of_six_calls()
    {
        SubstringModel model = Learn([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);
        Trace analysis = Analyse(model, [1, 2, 3, 4, 1, 2, 3]);

        // Windows of 6 in the learnt trace (7 of them): [1,2,3,4,1,2] ×2, [2,3,4,1,2,3] ×2,
        // [3,4,1,2,3,4] ×2, [4,1,2,3,4,1] ×1. The trace's two full 6-windows are seen twice each.
        Assert.Equal(7, model.Total(6));
        Assert.Equal(0, Score(new FreqDetector(0.5 / 7), analysis)); // rare below 0.5: none
        Assert.Equal(0, Score(new FreqDetector(1.5 / 7), analysis)); // rare below 1.5: none
        Assert.Equal(2, Score(new FreqDetector(2.5 / 7), analysis)); // rare below 2.5: both
    }

    [Fact]
    public void Callset_distance_is_zero_for_a_learnt_vocabulary()
    {
        SubstringModel model = Learn([1, 2, 3, 4], [1, 5, 1]);
        NormalRuns normal = new(null, model, [], [[1, 2, 3, 4], [1, 5]]);
        var detector = new CallSetDetector();

        Assert.Equal(0, Score(detector, Analyse(normal, [4, 3, 2, 1, 1])));
        Assert.Equal(0, Score(detector, Analyse(normal, [5], [1, 5])));
    }

    [Theory]
    [InlineData(new[] { 1, 2, 3, 9 }, 0.4)] // nearest {1,2,3,4}: 3 common of 5 (9 never learnt)
    [InlineData(new[] { 1, 2, 3, 5 }, 0.4)] // {1,2,3,4}: 3 of 5, nearer than {1,5}: 2 of 4
    [InlineData(new[] { 1, 2 }, 0.5)] // {1,2,3,4}: 2 of 4, nearer than {1,5}: 1 of 3
    [InlineData(new[] { 5, 6, 7 }, 0.75)] // {1,5}: 1 of 4
    [InlineData(new[] { 8 }, 1.0)] // nothing in common with any
    public void Callset_distance_is_the_jaccard_distance_to_the_nearest_normal_vocabulary(int[] calls, double expected)
    {
        SubstringModel model = Learn([1, 2, 3, 4], [1, 5, 1]);
        NormalRuns normal = new(null, model, [], [[1, 2, 3, 4], [1, 5]]);

        double score = Score(new CallSetDetector(), Analyse(normal, calls));

        Assert.Equal(expected, score, 12);
    }

    [Fact]
    public void Callset_explains_the_calls_added_to_and_missing_from_the_nearest_vocabulary()
    {
        SubstringModel model = Learn([1, 2, 3, 4], [1, 5, 1]);
        var detector = new CallSetDetector.Vocabularies(model, [[1, 2, 3, 4], [1, 5]]);

        (double distance, int[] added, int[] missing) = detector.Explain(CallSetDetector.Vocabulary([[1, 2], [3, 5, 9]]));

        // {1,2,3,5,9} against {1,2,3,4}: 3 common of 6; against {1,5}: 2 of 5.
        Assert.Equal(0.5, distance, 12);
        Assert.Equal([5, 9], added);
        Assert.Equal([4], missing);
    }

    [Fact]
    public void Callset_explains_a_subset_by_its_missing_calls_only()
    {
        SubstringModel model = Learn([1, 2, 3, 4], [1, 5, 1]);
        var detector = new CallSetDetector.Vocabularies(model, [[1, 2, 3, 4], [1, 5]]);

        (double distance, int[] added, int[] missing) = detector.Explain(CallSetDetector.Vocabulary([[2, 1]]));

        Assert.Equal(0.5, distance, 12);
        Assert.Empty(added);
        Assert.Equal([3, 4], missing);
    }

    [Fact]
    public void Callset_learns_a_repeated_vocabulary_once()
    {
        SubstringModel model = Learn([1, 2, 3, 4], [1, 5, 1]);

        var detector = new CallSetDetector.Vocabularies(model, [[1, 2, 3, 4], [4, 3, 2, 1], [1, 5], [5, 1]]);

        Assert.Equal(2, detector.Count);
    }

    [Fact]
    public void Vocabulary_is_the_sorted_distinct_calls_of_all_threads()
    {
        Assert.Equal([1, 3, 7, 300], CallSetDetector.Vocabulary([[7, 3, 7], [300, 1, 3]]));
    }

    [Fact]
    public void Zstide_scores_every_learnt_trace_at_or_below_zero_when_the_learnt_traces_differ()
    {
        int[][] learnt = Traces();
        SubstringModel model = Learn(learnt);
        NormalRuns normal = Runs(model, learnt);
        var detector = new ZStideDetector();

        double[] scores = [.. learnt.Select(t => Score(detector, Analyse(normal, t)))];

        Assert.Equal(learnt.Length, ZStideDetector.Calibrate(normal).LearntTraces);
        // A learnt trace has no unseen window, while left out each one had some: below the mean.
        Assert.All(scores, s => Assert.True(s < 0, $"learnt trace scored {s}"));
    }

    [Fact]
    public void Zstide_scores_an_injected_trace_above_every_learnt_one()
    {
        int[][] learnt = Traces();
        SubstringModel model = Learn(learnt);
        NormalRuns normal = Runs(model, learnt);
        var detector = new ZStideDetector();
        int[] injected = [1, 2, 3, 4, 5, 7, 8, 9, 1, 2, 3, 4, 5];

        double score = Score(detector, Analyse(normal, injected));

        double highestLearnt = learnt.Max(t => Score(detector, Analyse(normal, t)));
        Assert.True(score > highestLearnt, $"injected {score}, highest learnt {highestLearnt}");
        Assert.True(score > 0, $"injected {score}");
    }

    [Fact]
    public void Zstide_calibration_skips_learnt_traces_without_calls()
    {
        int[][] learnt = Traces();
        SubstringModel model = Learn(learnt);

        var normal = new NormalRuns(null, model, [.. learnt.Select((t, i) => (i, (long)t.Length)), (learnt.Length, 0L)], []);

        Assert.Equal(learnt.Length, ZStideDetector.Calibrate(normal).LearntTraces);
    }

    /// <summary>As <see cref="Runs"/>, and able to hold out the learnt traces in learning order (as eval's runs are).</summary>
    private static NormalRuns HeldOutRuns(SubstringModel model, int[][] learnt) =>
        new(null, model, [.. learnt.Select((t, i) => (i, (long)t.Length))], [.. learnt.Select(t => CallSetDetector.Vocabulary([t]))],
            () => HeldOut.InLearningOrder(model, [.. learnt.Select((t, i) => new LoadedTrace($"log{i}", null, [t]))]));

    [Fact]
    public void Fused_is_the_mean_of_zstide_and_callset_each_standardised_on_the_held_out_learnt_traces()
    {
        int[][] learnt = Traces();
        SubstringModel model = Learn(learnt);
        NormalRuns normal = HeldOutRuns(model, learnt);
        int[] injected = [1, 2, 3, 4, 5, 7, 8, 9, 1, 2, 3, 4, 5];
        Trace trace = Analyse(normal, injected);

        double fused = Score(new FusedDetector(), trace);

        // The same standardisation by hand: population mean and deviation of each held-out score.
        double sequence = (Score(new ZStideDetector(), trace) - Mean(new ZStideDetector().HeldOut(normal))) / Deviation(new ZStideDetector().HeldOut(normal));
        double vocabulary = (Score(new CallSetDetector(), trace) - Mean(new CallSetDetector().HeldOut(normal))) / Deviation(new CallSetDetector().HeldOut(normal));
        Assert.Equal((sequence + vocabulary) / 2, fused, 9);
    }

    [Fact]
    public void Fused_scores_an_injected_trace_above_every_learnt_one()
    {
        int[][] learnt = Traces();
        SubstringModel model = Learn(learnt);
        NormalRuns normal = HeldOutRuns(model, learnt);
        var detector = new FusedDetector();

        double injected = Score(detector, Analyse(normal, [1, 2, 3, 4, 5, 7, 8, 9, 1, 2, 3, 4, 5]));

        double highestLearnt = learnt.Max(t => Score(detector, Analyse(normal, t)));
        Assert.True(injected > highestLearnt, $"injected {injected}, highest learnt {highestLearnt}");
    }

    private static double Mean(double[] values) => values.Average();

    private static double Deviation(double[] values)
    {
        double mean = Mean(values);
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length);
    }

    [Fact]
    public void Evaluated_detectors_are_the_paper_stide_two_to_ten_lfc_zstide_freq_callset_and_fused()
    {
        IReadOnlyList<Detector> detectors = Detectors.Evaluated();

        Assert.Equal(
            ["paper", "stide-2", "stide-3", "stide-4", "stide-5", "stide-6", "stide-7", "stide-8", "stide-9", "stide-10", "lfc-6", "zstide", "freq-6", "callset", "fused"],
            detectors.Select(d => d.Name));
        Assert.All(detectors, d => Assert.False(string.IsNullOrWhiteSpace(d.Description)));
    }

    /// <summary>Four normal traces of one program, each with something the others lack.</summary>
    private static int[][] Traces() =>
    [
        [1, 2, 3, 4, 5, 1, 2, 3, 4, 5],
        [1, 2, 3, 4, 6, 1, 2, 3, 4, 6],
        [1, 2, 4, 5, 1, 2, 3, 4, 5],
        [2, 3, 4, 5, 6, 1, 2, 3],
    ];
}

using CsCheck;
using Sysprint.Detection;

namespace Sysprint.Core.Tests.Detection;

public sealed class HeldOutTests
{
    /// <summary>A log: 1 to 3 threads of up to 40 calls among 6, so that windows recur across logs.</summary>
    private static readonly Gen<int[][]> s_log = Gen.Int[0, 5].Array[0, 40].Array[1, 3];

    [Fact]
    public void A_log_held_out_counts_what_a_model_of_the_earlier_logs_alone_would_find_unseen()
    {
        Gen.Select(s_log.Array[1, 6], Gen.Bool, Gen.Int[0, 100], Gen.Int[0, 100]).Sample((logs, stored, pick, cut) =>
        {
            int held = pick % logs.Length;
            int before = 1 + (cut % (held + 1));

            // The whole model, as train stores it (each log's windows added back) or as eval learns it.
            var whole = new SubstringModel(capacity: 256);
            var windows = new byte[logs.Length][];
            for (int i = 0; i < logs.Length; i++)
            {
                windows[i] = Own(logs[i]).ToBytes();
                if (stored)
                {
                    whole.AddLog(windows[i], i + 1);
                }
                else
                {
                    foreach (int[] thread in logs[i])
                    {
                        whole.Learn(thread, i + 1);
                    }
                }
            }

            var earlier = new SubstringModel(capacity: 256);
            for (int i = 0; i + 1 < before; i++)
            {
                foreach (int[] thread in logs[i])
                {
                    earlier.Learn(thread, i + 1);
                }
            }

            Assert.Equal(Novel(earlier, logs[held]), whole.NovelBefore(windows[held], before));
        }, iter: 500);
    }

    [Fact]
    public void Each_part_is_checked_against_the_parts_learnt_before_it()
    {
        int[][][] logs =
        [
            [[1, 2, 3, 1, 2, 3]],
            [[1, 2, 3, 4]],
            [[1, 2, 5, 6]],
        ];
        (SubstringModel model, (int, long)[] ids, byte[][] windows, int[][] vocabularies) = Learnt(logs);

        IReadOnlyList<HeldOutLog> held = HeldOut.InLearningOrder(model, ids, windows, vocabularies);

        // 3 logs make parts 0, 3 and 6: the first is never held out; the second is checked against
        // the first (3 4 is its one unseen pair; {1,2,3,4} to {1,2,3}: 3 common of 4); the third
        // against both (2 5 and 5 6; {1,2,5,6} to {1,2,3,4}: 2 common of 6, to {1,2,3}: 2 of 5).
        Assert.Equal([2, 3], held.Select(h => h.Log));
        Assert.Equal([1L, 2L], held.Select(h => h.Novel[2]));
        Assert.Equal([1 - (3 / 4.0), 1 - (2 / 5.0)], held.Select(h => h.CallSetDistance));
    }

    [Fact]
    public void Eval_and_the_store_hold_out_the_same_scores()
    {
        int[][][] logs = [[[1, 2, 3, 1, 2, 3]], [[1, 2, 3, 4], [4, 4, 1]], [[1, 2, 5, 6]], [[6, 5, 2, 1, 2, 3]]];
        (SubstringModel stored, (int, long)[] ids, byte[][] windows, int[][] vocabularies) = Learnt(logs);
        var learnt = new SubstringModel();
        var traces = new List<LoadedTrace>();
        for (int i = 0; i < logs.Length; i++)
        {
            foreach (int[] thread in logs[i])
            {
                learnt.Learn(thread, i);
            }

            traces.Add(new LoadedTrace($"log{i}", null, logs[i]));
        }

        IReadOnlyList<HeldOutLog> fromStore = HeldOut.InLearningOrder(stored, ids, windows, vocabularies);
        IReadOnlyList<HeldOutLog> fromEval = HeldOut.InLearningOrder(learnt, traces);

        Assert.Equal(fromStore.Select(h => (h.Calls, h.CallSetDistance, string.Join(',', h.Novel))),
            fromEval.Select(h => (h.Calls, h.CallSetDistance, string.Join(',', h.Novel))));
    }

    [Theory]
    [InlineData(new[] { 1, 2, 3 }, new[] { 1, 2, 3 }, 0.0)]
    [InlineData(new[] { 1, 2, 3 }, new[] { 4, 5 }, 1.0)]
    [InlineData(new[] { 1, 2, 3, 4 }, new[] { 2, 4, 6 }, 1 - (2 / 5.0))]
    [InlineData(new int[0], new int[0], 0.0)]
    public void Jaccard_distance_of_ascending_call_sets(int[] a, int[] b, double distance)
    {
        Assert.Equal(distance, HeldOut.Jaccard(a, b));
    }

    internal static (SubstringModel Model, (int, long)[] Ids, byte[][] Windows, int[][] Vocabularies) Learnt(int[][][] logs)
    {
        var model = new SubstringModel(capacity: 256);
        var ids = new (int, long)[logs.Length];
        var windows = new byte[logs.Length][];
        var vocabularies = new int[logs.Length][];
        for (int i = 0; i < logs.Length; i++)
        {
            windows[i] = Own(logs[i]).ToBytes();
            vocabularies[i] = model.AddLog(windows[i], i + 1);
            ids[i] = (i + 1, logs[i].Sum(t => (long)t.Length));
        }

        model.Freeze();
        return (model, ids, windows, vocabularies);
    }

    private static SubstringModel Own(int[][] log)
    {
        var own = new SubstringModel(capacity: 64);
        foreach (int[] thread in log)
        {
            own.Learn(thread);
        }

        return own;
    }

    // What check counts: the k-window ending at each call is unseen when the longest seen window
    // ending there is shorter than k, or than all the calls so far.
    private static long[] Novel(SubstringModel model, int[][] log)
    {
        var novel = new long[SubstringModel.MaxWindow + 1];
        foreach (int[] thread in log)
        {
            var longest = new byte[thread.Length];
            var counts = new int[thread.Length];
            model.Analyse(thread, longest, counts, 6);
            for (int i = 0; i < thread.Length; i++)
            {
                for (int k = 1; k <= SubstringModel.MaxWindow; k++)
                {
                    if (longest[i] < Math.Min(k, i + 1))
                    {
                        novel[k]++;
                    }
                }
            }
        }

        return novel;
    }
}

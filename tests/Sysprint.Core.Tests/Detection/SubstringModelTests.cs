using Sysprint.Detection;
using Sysprint.Evaluation;

namespace Sysprint.Core.Tests.Detection;

public sealed class SubstringModelTests
{
    [Fact]
    public void Every_window_of_one_to_ten_calls_is_counted_with_its_thread_starts()
    {
        var model = new SubstringModel();
        model.Learn([1, 2, 1, 2], trace: 7);

        var windows = Windows(model);

        Assert.Equal("n=2 s=1 t=1 o=7", windows["1"]);
        Assert.Equal("n=2 s=0 t=1 o=7", windows["2"]);
        Assert.Equal("n=2 s=1 t=1 o=7", windows["1,2"]);
        Assert.Equal("n=1 s=0 t=1 o=7", windows["2,1"]);
        Assert.Equal("n=1 s=1 t=1 o=7", windows["1,2,1,2"]);
        Assert.Equal(7, windows.Count); // 1 2 | 1,2 2,1 | 1,2,1 2,1,2 | 1,2,1,2
        Assert.Equal(4, model.Total(1));
        Assert.Equal(1, model.Total(4));
        Assert.Equal(2, model.Distinct(3));
    }

    [Fact]
    public void A_window_held_by_two_traces_has_no_single_owner()
    {
        var model = new SubstringModel();
        model.Learn([5, 6], trace: 1);
        model.Learn([5, 6, 5], trace: 1);
        model.Learn([6, 5], trace: 2);

        var windows = Windows(model);

        Assert.Equal("n=2 s=2 t=1 o=1", windows["5,6"]);
        Assert.Equal("n=2 s=1 t=2 o=-1", windows["6,5"]);
    }

    [Fact]
    public void Leave_one_out_counts_from_the_totals_equal_learning_without_the_trace()
    {
        var random = new Random(20261126);
        for (int round = 0; round < 30; round++)
        {
            // Few calls and short threads: windows recur across traces, and some open threads.
            int[][][] traces = [.. Enumerable.Range(0, 6).Select(_ => Enumerable.Range(0, random.Next(1, 4))
                .Select(_ => Enumerable.Range(0, random.Next(1, 25)).Select(_ => random.Next(1, 5)).ToArray()).ToArray())];
            var all = new SubstringModel();
            for (int t = 0; t < traces.Length; t++)
            {
                foreach (int[] thread in traces[t])
                {
                    all.Learn(thread, t);
                }
            }

            Dictionary<int, long[]> leftOut = all.NovelWhenLeftOut();
            for (int t = 0; t < traces.Length; t++)
            {
                var others = new SubstringModel();
                for (int o = 0; o < traces.Length; o++)
                {
                    if (o != t)
                    {
                        foreach (int[] thread in traces[o])
                        {
                            others.Learn(thread, o);
                        }
                    }
                }

                // stide-k on the trace against the others, through the scorers the evaluation drives.
                Detector[] stide = [.. Enumerable.Range(2, SubstringModel.MaxWindow - 1).Select(k => new StideDetector(k))];
                double[] scores = Evaluator.Score(new LoadedTrace($"t{t}", null, traces[t]), new NormalRuns(null, others, [], []), stide);
                long[] expected = [0, 0, .. scores.Select(s => (long)s)];
                long[] actual = leftOut.GetValueOrDefault(t) ?? new long[SubstringModel.MaxWindow + 1];
                Assert.Equal(expected[2..], actual[2..]);
            }
        }
    }

    [Fact]
    public void Logs_stored_one_by_one_and_added_back_rebuild_the_model_learnt_from_all_of_them()
    {
        int[][] logs = [[3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9], [2, 7, 1, 8, 2, 8, 1, 8, 2, 8], [1, 4, 1, 5], [3, 1, 4, 1, 5, 9]];
        var direct = new SubstringModel();
        var added = new SubstringModel();
        for (int t = 0; t < logs.Length; t++)
        {
            direct.Learn(logs[t], 10 + t);
            var own = new SubstringModel(capacity: 16);
            own.Learn(logs[t]);
            int[] vocabulary = added.AddLog(own.ToBytes(), 10 + t);
            Assert.Equal(logs[t].Distinct().Order(), vocabulary);
        }

        Assert.Equal(Windows(direct), Windows(added));
        Assert.Equal(
            direct.NovelWhenLeftOut().OrderBy(p => p.Key).Select(p => (p.Key, string.Join(',', p.Value))),
            added.NovelWhenLeftOut().OrderBy(p => p.Key).Select(p => (p.Key, string.Join(',', p.Value))));
        for (int k = 1; k <= SubstringModel.MaxWindow; k++)
        {
            Assert.Equal(direct.Distinct(k), added.Distinct(k));
            Assert.Equal(direct.Total(k), added.Total(k));
        }

        var longest = new byte[9];
        var counts = new int[9];
        added.Analyse([2, 7, 1, 8, 2, 8, 1, 4, 4], longest, counts, 2);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 2, 1], longest);
    }

    [Theory]
    [InlineData(new byte[0], "unknown format")]
    [InlineData(new byte[] { 2, 0 }, "unknown format")]
    [InlineData(new byte[] { 1, 1, 0, 5, 1 }, "in the middle of a number")]
    [InlineData(new byte[] { 1, 1, 1, 5, 1, 1 }, "not a window of the ones before it")]
    [InlineData(new byte[] { 1, 1, 0, 5, 1, 2 }, "not a window of the ones before it")]
    [InlineData(new byte[] { 1, 1, 0, 5, 1, 1, 9 }, "1 bytes after the stored windows")]
    [InlineData(new byte[] { 1, 200, 1 }, "announce 200 windows")]
    public void Damaged_stored_windows_are_refused_with_what_is_wrong(byte[] bytes, string expected)
    {
        var model = new SubstringModel();

        var ex = Assert.Throws<InvalidDataException>(() => model.AddLog(bytes, 1));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_and_mutated_stored_windows_are_read_or_refused_never_anything_else()
    {
        var own = new SubstringModel(capacity: 16);
        own.Learn([59, 12, 9, 257, 0, 3, 0, 3, 1, 1, 231, 60]);
        byte[] valid = own.ToBytes();
        var random = new Random(5);
        for (int round = 0; round < 3000; round++)
        {
            byte[] bytes = round % 2 == 0 ? [.. valid] : new byte[random.Next(0, 64)];
            if (round % 2 == 0)
            {
                for (int flips = random.Next(1, 4); flips > 0; flips--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }
            }
            else
            {
                random.NextBytes(bytes);
            }

            var model = new SubstringModel(capacity: 16);
            try
            {
                model.AddLog(bytes, 1);
                model.Freeze();
                model.Analyse([59, 12, 9], new byte[3], new int[3], 2);
            }
            catch (InvalidDataException)
            {
                // Refused with what is wrong: the store reports it as corrupt.
            }
        }
    }

    [Fact]
    public void A_log_streamed_through_the_learner_equals_its_threads_learnt_one_by_one()
    {
        // Two threads interleaved, one of them ending and its id reused by a new thread.
        (long Thread, int Call)[] events =
        [
            (10, 1), (11, 7), (10, 2), (11, 8), (10, 3), (10, 4), (11, 9), (10, 5), (10, 6), (10, 7), (10, 8),
            (10, 9), (10, 10), (10, 11), (10, 12), (11, 1),
        ];
        var streamed = new SubstringModel();
        var learner = new WindowModelLearner(streamed);
        foreach ((long thread, int call) in events)
        {
            learner.OnSyscall(thread, call, 1);
        }

        learner.OnThreadEnd(11);
        learner.OnSyscall(11, 4, 2);
        learner.OnSyscall(11, 5, 3);

        var direct = new SubstringModel();
        direct.Learn([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        direct.Learn([7, 8, 9, 1]);
        direct.Learn([4, 5]);

        Assert.Equal(Windows(direct), Windows(streamed));
    }

    [Fact]
    public void Analysis_finds_the_longest_seen_window_ending_at_each_call()
    {
        var model = new SubstringModel();
        model.Learn([1, 2, 3, 4]);

        var longest = new byte[5];
        var counts = new int[5];
        model.Analyse([1, 2, 3, 9, 4], longest, counts, 2);

        Assert.Equal([1, 2, 3, 0, 1], longest);
        Assert.Equal([0, 1, 1, 0, 0], counts);
    }

    [Fact]
    public void Learnt_totals_agree_with_a_brute_force_count_of_every_window()
    {
        var random = new Random(11);
        for (int round = 0; round < 30; round++)
        {
            var model = new SubstringModel();
            var expected = new Dictionary<string, (int Count, int Starts, HashSet<int> Traces)>(StringComparer.Ordinal);
            for (int t = 0; t < 5; t++)
            {
                for (int th = random.Next(1, 4); th > 0; th--)
                {
                    int[] thread = [.. Enumerable.Range(0, random.Next(1, 30)).Select(_ => random.Next(1, 5))];
                    model.Learn(thread, t);
                    for (int i = 0; i < thread.Length; i++)
                    {
                        for (int k = 1; k <= SubstringModel.MaxWindow && k <= i + 1; k++)
                        {
                            string key = string.Join(',', thread[(i - k + 1)..(i + 1)]);
                            (int count, int starts, HashSet<int> traces) = expected.GetValueOrDefault(key, (0, 0, []));
                            traces.Add(t);
                            expected[key] = (count + 1, starts + (k == i + 1 ? 1 : 0), traces);
                        }
                    }
                }
            }

            var actual = Windows(model);
            Assert.Equal(expected.Count, actual.Count);
            foreach ((string key, (int count, int starts, HashSet<int> traces)) in expected)
            {
                Assert.Equal($"n={count} s={starts} t={Math.Min(traces.Count, 2)} o={(traces.Count == 1 ? traces.Single() : -1)}", actual[key]);
            }

            for (int k = 1; k <= SubstringModel.MaxWindow; k++)
            {
                Assert.Equal(expected.Count(e => e.Key.Count(c => c == ',') == k - 1), model.Distinct(k));
                Assert.Equal(expected.Where(e => e.Key.Count(c => c == ',') == k - 1).Sum(e => e.Value.Count), model.Total(k));
            }
        }
    }

    [Fact]
    public void Analysis_agrees_with_a_brute_force_search_of_the_learnt_windows()
    {
        var random = new Random(7);
        for (int round = 0; round < 40; round++)
        {
            var model = new SubstringModel();
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int t = 0; t < 4; t++)
            {
                int[] thread = [.. Enumerable.Range(0, random.Next(1, 60)).Select(_ => random.Next(1, 6))];
                model.Learn(thread, t);
                for (int i = 0; i < thread.Length; i++)
                {
                    for (int k = 1; k <= SubstringModel.MaxWindow && k <= i + 1; k++)
                    {
                        string key = string.Join(',', thread[(i - k + 1)..(i + 1)]);
                        seen[key] = seen.GetValueOrDefault(key) + 1;
                    }
                }
            }

            int countWindow = random.Next(1, SubstringModel.MaxWindow + 1);
            int[] query = [.. Enumerable.Range(0, 80).Select(_ => random.Next(1, 7))];
            var longest = new byte[query.Length];
            var counts = new int[query.Length];
            model.Analyse(query, longest, counts, countWindow);

            for (int i = 0; i < query.Length; i++)
            {
                int expected = 0;
                for (int k = 1; k <= SubstringModel.MaxWindow && k <= i + 1 && seen.ContainsKey(string.Join(',', query[(i - k + 1)..(i + 1)])); k++)
                {
                    expected = k;
                }

                Assert.Equal(expected, longest[i]);
                int count = i + 1 >= countWindow ? seen.GetValueOrDefault(string.Join(',', query[(i - countWindow + 1)..(i + 1)])) : 0;
                Assert.Equal(count, counts[i]);
            }
        }
    }

    private static Dictionary<string, string> Windows(SubstringModel model)
    {
        var all = new Dictionary<string, string>(StringComparer.Ordinal);
        model.ForEachWindow((calls, count, starts, traces, owner) =>
            all[string.Join(',', calls.ToArray())] = $"n={count} s={starts} t={traces} o={(traces == 1 ? owner : -1)}");
        return all;
    }
}

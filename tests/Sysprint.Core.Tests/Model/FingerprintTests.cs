using Sysprint.Model;

namespace Sysprint.Core.Tests.Model;

public sealed class FingerprintTests
{
    // Small numbers, both sides of the 4096 direct-index limit, learnt-name numbers, and extremes.
    private static readonly int[] s_numbers =
    [
        .. Enumerable.Range(0, 150), 4094, 4095, 4096, 4097, 5000, 65_535, 65_536, 99_999, 100_000, 100_001, 1 << 20, int.MaxValue, -1, int.MinValue,
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    public void Window_outside_2_to_16_is_refused(int window)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Fingerprint(window));
    }

    [Fact]
    public void Pair_matrix_keeps_every_pair_as_it_grows_past_64_and_4096_and_holds_no_other()
    {
        var fingerprint = new Fingerprint(2);
        var added = new HashSet<(int, int)>();
        var random = new Random(12345);

        for (int i = 0; i < 2000; i++)
        {
            int prev = s_numbers[random.Next(s_numbers.Length)];
            int next = s_numbers[random.Next(s_numbers.Length)];
            Assert.Equal(added.Add((prev, next)), fingerprint.Add([prev, next]));
        }

        foreach (int prev in s_numbers)
        {
            foreach (int next in s_numbers)
            {
                Assert.True(added.Contains((prev, next)) == fingerprint.Contains([prev, next]), $"pair {prev} {next}");
            }
        }

        Assert.Equal(added.Count, fingerprint.TransitionCount);
    }

    [Fact]
    public void Pair_with_a_call_that_arrived_after_the_matrix_last_grew_is_not_held()
    {
        var fingerprint = new Fingerprint(2);
        fingerprint.Add([1, 2]);

        fingerprint.Add([100_000]);

        Assert.False(fingerprint.Contains([1, 100_000]));
        Assert.False(fingerprint.Contains([100_000, 1]));
        Assert.True(fingerprint.Contains([100_000]));
        Assert.True(fingerprint.Contains([1, 2]));
    }

    [Fact]
    public void Pairs_of_large_numbers_5000_and_100000_are_held()
    {
        var fingerprint = new Fingerprint(2);

        fingerprint.Add([5000, 100_000]);
        fingerprint.Add([100_000, 5000]);
        fingerprint.Add([100_000, 100_000]);

        Assert.True(fingerprint.Contains([5000, 100_000]));
        Assert.True(fingerprint.Contains([100_000, 5000]));
        Assert.True(fingerprint.Contains([100_000, 100_000]));
        Assert.False(fingerprint.Contains([5000, 5000]));
        Assert.False(fingerprint.Contains([5000, 5001]));
        Assert.False(fingerprint.Contains([4999, 100_000]));
    }

    [Fact]
    public void Known_calls_are_grams_of_one()
    {
        var fingerprint = new Fingerprint(2);

        bool first = fingerprint.Add([257]);
        bool again = fingerprint.Add([257]);

        Assert.True(first);
        Assert.False(again);
        Assert.True(fingerprint.Knows(257));
        Assert.False(fingerprint.Knows(258));
        Assert.Equal(1, fingerprint.KnownCallCount);
        Assert.Equal(0, fingerprint.TransitionCount);
    }

    [Fact]
    public void Call_seen_only_inside_a_pair_is_not_known()
    {
        var fingerprint = new Fingerprint(2);

        fingerprint.Add([1, 2]);

        Assert.False(fingerprint.Knows(1));
        Assert.False(fingerprint.Contains([2]));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(16)]
    public void Longer_windows_hold_exactly_the_grams_added(int window)
    {
        var fingerprint = new Fingerprint(window);
        int[] full = Enumerable.Range(0, window).Select(i => s_numbers[(i * 37) % s_numbers.Length]).ToArray();
        int[] start = [full[^1], full[0]];

        fingerprint.Add(full);
        fingerprint.Add(start);

        Assert.True(fingerprint.Contains(full));
        Assert.True(fingerprint.Contains(start));
        Assert.False(fingerprint.Contains(full.AsSpan()[..^1]));
        Assert.False(fingerprint.Contains(full.AsSpan()[1..]));
        Assert.False(fingerprint.Contains(full.Reverse().ToArray()));
        Assert.False(fingerprint.Contains([.. full, full[0]]));
        Assert.Equal(2, fingerprint.TransitionCount);
    }

    [Fact]
    public void Gram_longer_than_the_window_or_empty_is_refused()
    {
        var fingerprint = new Fingerprint(3);

        Assert.Throws<ArgumentOutOfRangeException>(() => fingerprint.Add([1, 2, 3, 4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => fingerprint.Add([]));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void Contains_is_never_true_for_unseen_grams_of_unseen_calls(int window)
    {
        var fingerprint = new Fingerprint(window);
        fingerprint.Add([1]);
        fingerprint.Add([1, 2]);

        Assert.False(fingerprint.Contains([3]));
        Assert.False(fingerprint.Contains([1, 3]));
        Assert.False(fingerprint.Contains([3, 1]));
        Assert.False(fingerprint.Contains([2, 1]));
        Assert.False(fingerprint.Contains([]));
    }

    [Fact]
    public void Grams_lists_known_calls_first_then_longer_grams_in_order()
    {
        var fingerprint = new Fingerprint(3);
        fingerprint.Add([7, 3, 5]);
        fingerprint.Add([5]);
        fingerprint.Add([3, 5]);
        fingerprint.Add([2]);
        fingerprint.Add([3, 4, 1]);

        var grams = fingerprint.Grams().Select(g => Fingerprint.FormatGram(g)).ToList();

        Assert.Equal(["2", "5", "3 4 1", "3 5", "7 3 5"], grams);
    }

    [Fact]
    public void Successors_are_the_papers_arrays_for_any_window()
    {
        int[] trace = [1, 2, 3, 1, 3, 9];
        var pairs = new Fingerprint(2);
        var triples = new Fingerprint(3);

        Learn(pairs, trace);
        Learn(triples, trace);

        var expected = new SortedDictionary<int, SortedSet<int>>
        {
            [1] = [2, 3],
            [2] = [3],
            [3] = [1, 9],
            [9] = [],
        };
        Assert.Equal(expected, pairs.Successors());
        Assert.Equal(expected, triples.Successors());
    }

    [Theory]
    [InlineData(new[] { 1, 2, 3 }, "1 2 3")]
    [InlineData(new[] { 100_000 }, "100000")]
    [InlineData(new[] { -1, int.MaxValue }, "-1 2147483647")]
    public void Gram_text_round_trips(int[] gram, string text)
    {
        string formatted = Fingerprint.FormatGram(gram);
        int[] parsed = Fingerprint.ParseGram(formatted);

        Assert.Equal(text, formatted);
        Assert.Equal(gram, parsed);
    }

    [Fact]
    public void At_most_65535_distinct_calls_are_held()
    {
        var fingerprint = new Fingerprint(2);
        for (int i = 0; i < char.MaxValue; i++)
        {
            fingerprint.Add([i]);
        }

        var ex = Assert.Throws<InvalidOperationException>(() => fingerprint.Add([1_000_000]));

        Assert.Equal("a fingerprint holds at most 65535 distinct system calls", ex.Message);
        Assert.Equal(char.MaxValue, fingerprint.KnownCallCount);
    }

    private static void Learn(Fingerprint fingerprint, int[] trace)
    {
        var learner = new FingerprintLearner(fingerprint);
        for (int i = 0; i < trace.Length; i++)
        {
            learner.OnSyscall(1, trace[i], i + 1);
        }
    }
}

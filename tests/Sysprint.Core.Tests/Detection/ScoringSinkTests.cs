using Sysprint.Detection;
using Sysprint.Diagnostics;
using Sysprint.Engine;
using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.Core.Tests.Detection;

/// <summary>The detectors that read window counts, fed as a log streams: bounded memory, bounded input.</summary>
public sealed class ScoringSinkTests
{
    private static NormalRuns Normal()
    {
        var model = new SubstringModel();
        var vocabularies = new List<int[]>();
        var windows = new List<byte[]>();
        int[][] logs = [[1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 9, 5, 6, 7, 8]];
        for (int i = 0; i < logs.Length; i++)
        {
            var own = new SubstringModel(capacity: 64);
            own.Learn(logs[i]);
            windows.Add(own.ToBytes());
            vocabularies.Add(model.AddLog(windows[^1], i + 1));
        }

        model.Freeze();
        return WindowCheck.Validate(new StoredWindowModel(model, [(1, 16), (2, 9)], vocabularies, windows, 0, "digest"), "store", "p");
    }

    private static ScoringSink Sink(string detector, int maxCalls = LogReadOptions.DefaultMaxCalls) =>
        new(Detectors.ForProfile(detector, 2), Normal(), new ScorerOptions { MaxCalls = maxCalls });

    [Theory]
    [InlineData("zstide")]
    [InlineData("freq")]
    [InlineData("callset")]
    public void A_long_log_is_scored_in_memory_that_does_not_grow_with_it(string detector)
    {
        ScoringSink scorer = Sink(detector);
        int[] cycle = [1, 2, 3, 4, 5, 6, 7, 8];

        // 2,000,000 calls in 4 threads; every 10,000th cycle holds a call never learnt.
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 250_000; i++)
        {
            for (int c = 0; c < cycle.Length; c++)
            {
                scorer.OnSyscall(100 + (i % 4), i % 10_000 == 0 && c == 4 ? 42 : cycle[c], i + 1);
            }
        }

        DetectorScore score = scorer.Finish();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(score.Score > (detector == "zstide" ? double.MinValue : 0), $"{detector} score {score.Score}");
        Assert.Contains(score.Details, m => m.Next == 42);
        Assert.InRange(allocated, 0, 1 << 20);
    }

    [Fact]
    public void A_log_of_endless_distinct_calls_is_refused_at_the_limit()
    {
        ScoringSink scorer = Sink("callset", maxCalls: 100);

        var ex = Assert.Throws<InputLimitException>(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                scorer.OnSyscall(1, 1000 + i, i + 1);
            }
        });

        Assert.Equal("more than 100 distinct system calls in one log", ex.Message);
        Assert.Equal(RemedyKind.RaiseCallLimit, ex.Remedy?.Kind);
    }

    [Fact]
    public void Explanations_name_the_first_line_and_thread_where_a_window_broke()
    {
        ScoringSink scorer = Sink("zstide");
        scorer.OnSyscall(7, 1, 10);
        scorer.OnSyscall(8, 1, 11);
        scorer.OnSyscall(7, 2, 12);
        scorer.OnSyscall(8, 3, 13);
        scorer.OnSyscall(7, 42, 14);
        scorer.OnSyscall(8, 42, 15);

        DetectorScore score = scorer.Finish();

        // Thread 8's 1 → 3 was never learnt (line 13); 42 was never learnt at all (first at line 14, twice).
        Assert.Equal(["13:8:1,3:1", "14:7:42:2"], score.Details.Select(m => $"{m.FirstLine}:{m.Thread}:{string.Join(',', m.Gram)}:{m.Count}"));
        Assert.Equal(3, score.Count);
    }
}

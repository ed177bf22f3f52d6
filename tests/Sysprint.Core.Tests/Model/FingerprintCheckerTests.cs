using Sysprint.Model;

namespace Sysprint.Core.Tests.Model;

public sealed class FingerprintCheckerTests
{
    [Fact]
    public void Mismatches_are_aggregated_with_their_count_first_line_and_thread()
    {
        var fingerprint = Learnt(2, 1, 2, 3);
        var checker = new FingerprintChecker(fingerprint);

        Feed(checker, 7, 1, 2, 3, 1, 2, 4, 2, 4);

        Assert.Equal(4, checker.MismatchCount);
        Assert.Equal(
            ["3 1 x1 @4 t7", "2 4 x2 @6 t7", "4 2 x1 @7 t7"],
            checker.Mismatches.Select(m => $"{Fingerprint.FormatGram(m.Gram)} x{m.Count} @{m.FirstLine} t{m.Thread}"));
        Assert.Equal(3, checker.Mismatches[0].Previous);
        Assert.Equal(1, checker.Mismatches[0].Next);
    }

    [Fact]
    public void Unknown_first_call_of_a_thread_is_a_mismatch_without_a_previous_call()
    {
        var checker = new FingerprintChecker(Learnt(2, 1, 2));

        Feed(checker, 3, 9);

        Mismatch only = Assert.Single(checker.Mismatches);
        Assert.Null(only.Previous);
        Assert.Equal(9, only.Next);
        Assert.Equal(3, only.Thread);
    }

    [Fact]
    public void Windows_of_interleaved_threads_are_checked_apart()
    {
        var checker = new FingerprintChecker(Learnt(2, 1, 2, 3));

        checker.OnSyscall(10, 1, 1);
        checker.OnSyscall(11, 1, 2);
        checker.OnSyscall(10, 2, 3);
        checker.OnSyscall(11, 2, 4);
        checker.OnSyscall(10, 3, 5);
        checker.OnSyscall(11, 3, 6);

        Assert.Equal(0, checker.MismatchCount);
    }

    [Fact]
    public void Large_numbers_that_share_their_low_bits_are_told_apart()
    {
        var checker = new FingerprintChecker(new Fingerprint(2));

        Feed(checker, 1, 5, 65_536 + 5, 5, 65_536 + 5);

        Assert.Equal(
            ["5", "5 65541", "65541 5"],
            checker.Mismatches.Select(m => Fingerprint.FormatGram(m.Gram)));
        Assert.Equal(2, checker.Mismatches[1].Count);
    }

    [Fact]
    public void First_occurrence_of_each_mismatch_is_reported_at_once()
    {
        var checker = new FingerprintChecker(Learnt(2, 1, 2));
        var reported = new List<string>();
        checker.OnFirstMismatch = m => reported.Add($"{m.FirstLine}:{Fingerprint.FormatGram(m.Gram)}");

        Feed(checker, 1, 1, 2, 3, 1, 2, 3);

        Assert.Equal(["3:2 3", "4:3 1"], reported);
    }

    [Fact]
    public void Locality_frame_counts_the_most_mismatches_within_the_frame_per_thread()
    {
        var checker = new FingerprintChecker(Learnt(2, 1, 2, 1)) { LocalityFrame = 3 };

        // The pairs 2-9, 9-8, 8-2 mismatch in a row; then 2-1 and 1-2 are known again, and so on.
        Feed(checker, 1, 1, 2, 9, 8, 2, 1, 2, 9, 1, 2);
        Feed(checker, 2, 1, 9);

        Assert.Equal(3, checker.MaxFrameMismatches);
        Assert.Equal(6, checker.MismatchCount);
    }

    [Fact]
    public void Reset_forgets_results_and_threads()
    {
        var checker = new FingerprintChecker(Learnt(2, 1, 2));
        Feed(checker, 1, 1, 9);

        checker.Reset();
        Feed(checker, 1, 9);

        Assert.Equal(1, checker.MismatchCount);
        Assert.Equal("9", Fingerprint.FormatGram(Assert.Single(checker.Mismatches).Gram));
    }

    [Fact]
    public void Distinct_mismatches_beyond_the_limit_are_counted_only()
    {
        var checker = new FingerprintChecker(new Fingerprint(2));

        for (int i = 0; i <= FingerprintChecker.MaxDistinctMismatches; i++)
        {
            checker.OnSyscall(i, i, i + 1);
        }

        Assert.True(checker.DetailsTruncated);
        Assert.Equal(FingerprintChecker.MaxDistinctMismatches + 1, checker.MismatchCount);
        Assert.Equal(FingerprintChecker.MaxDistinctMismatches, checker.Mismatches.Count);
    }

    private static Fingerprint Learnt(int window, params int[] trace)
    {
        var fingerprint = new Fingerprint(window);
        var learner = new FingerprintLearner(fingerprint);
        for (int i = 0; i < trace.Length; i++)
        {
            learner.OnSyscall(1, trace[i], i + 1);
        }

        return fingerprint;
    }

    private static void Feed(FingerprintChecker checker, long thread, params int[] calls)
    {
        for (int i = 0; i < calls.Length; i++)
        {
            checker.OnSyscall(thread, calls[i], i + 1);
        }
    }
}

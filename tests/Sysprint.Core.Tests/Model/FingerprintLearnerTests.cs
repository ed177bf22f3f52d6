using Sysprint.Model;

namespace Sysprint.Core.Tests.Model;

public sealed class FingerprintLearnerTests
{
    [Fact]
    public void New_grams_are_the_calls_and_windows_the_fingerprint_did_not_hold()
    {
        var fingerprint = new Fingerprint(2);
        var learner = new FingerprintLearner(fingerprint);

        Feed(learner, 1, 2, 1, 2);

        Assert.Equal(["1", "2", "1 2", "2 1"], learner.NewGrams.Select(g => Fingerprint.FormatGram(g)));
        Assert.Equal(2, learner.NewTransitions);
        Assert.Equal(2, fingerprint.KnownCallCount);
    }

    [Fact]
    public void Learning_the_same_trace_again_adds_nothing()
    {
        var fingerprint = new Fingerprint(4);
        Feed(new FingerprintLearner(fingerprint), 1, 2, 3, 4, 5, 1, 2);
        var again = new FingerprintLearner(fingerprint);

        Feed(again, 1, 2, 3, 4, 5, 1, 2);

        Assert.Empty(again.NewGrams);
        Assert.Equal(0, again.NewTransitions);
    }

    [Fact]
    public void Last_call_of_a_trace_is_known_even_with_nothing_after_it()
    {
        var fingerprint = new Fingerprint(2);

        Feed(new FingerprintLearner(fingerprint), 1, 252);

        Assert.True(fingerprint.Knows(252));
        Assert.Contains(252, fingerprint.Successors().Keys);
    }

    private static void Feed(FingerprintLearner learner, params int[] calls)
    {
        for (int i = 0; i < calls.Length; i++)
        {
            learner.OnSyscall(1, calls[i], i + 1);
        }
    }
}

using System.Diagnostics.CodeAnalysis;
using Sysprint.Diagnostics;
using Sysprint.Parsing;

namespace Sysprint.Model;

/// <summary>Adds every window of a log to a fingerprint and keeps the grams that were new.</summary>
public sealed class FingerprintLearner : GramTracker
{
    private readonly Fingerprint _fingerprint;
    private readonly List<int[]> _newGrams = [];

    public FingerprintLearner(Fingerprint fingerprint)
        : base(fingerprint?.Window ?? throw new ArgumentNullException(nameof(fingerprint)))
    {
        _fingerprint = fingerprint;
    }

    /// <summary>
    /// Most distinct calls the fingerprint may hold once this log is learnt: a window-2 fingerprint
    /// keeps a bit matrix of calls × calls, so a log of endless new numbers or names is refused.
    /// </summary>
    public int MaxCalls { get; init; } = LogReadOptions.DefaultMaxCalls;

    /// <summary>Grams this learner added that the fingerprint did not hold (length 1: newly known calls).</summary>
    public IReadOnlyList<int[]> NewGrams => _newGrams;

    /// <summary>New grams of two or more calls: the new transitions.</summary>
    public int NewTransitions { get; private set; }

    protected override void OnGram(ReadOnlySpan<int> gram, long thread, long line)
    {
        // The call itself is known (the paper creates an array for every call, even the last).
        ReadOnlySpan<int> call = gram[^1..];
        if (_fingerprint.Add(call))
        {
            if (_fingerprint.KnownCallCount > MaxCalls)
            {
                ThrowTooManyCalls();
            }

            _newGrams.Add(call.ToArray());
        }

        if (gram.Length > 1 && _fingerprint.Add(gram))
        {
            _newGrams.Add(gram.ToArray());
            NewTransitions++;
        }
    }

    [DoesNotReturn]
    private void ThrowTooManyCalls() =>
        throw new InputLimitException(
            $"more than {MaxCalls} distinct system calls in one fingerprint", RemedyKind.RaiseCallLimit);
}

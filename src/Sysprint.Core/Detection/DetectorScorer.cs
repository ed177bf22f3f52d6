using Sysprint.Model;

namespace Sysprint.Detection;

/// <summary>
/// Scores one log, fed call by call in log order (<see cref="ScoringSink"/> for a log being read,
/// the evaluation for a trace in memory), in memory bounded by the log's threads and distinct calls.
/// Explanations (when <see cref="ScorerOptions.Explain"/>) are deduplicated by window and reason,
/// keep their first line and thread, and stop being kept beyond
/// <see cref="FingerprintChecker.MaxDistinctMismatches"/> (then counted only).
/// </summary>
/// <remarks>Not thread-safe: one per log.</remarks>
public abstract class DetectorScorer
{
    private readonly List<Mismatch> _details = [];
    private readonly List<string?> _reasons = [null];
    private Dictionary<string, Mismatch>? _byKey;
    private Dictionary<string, Mismatch>.AlternateLookup<ReadOnlySpan<char>> _byKeySpan;

    protected DetectorScorer(ScorerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    protected ScorerOptions Options { get; }

    /// <summary>One call of the log.</summary>
    public abstract void OnCall(in ScoredCall scored);

    /// <summary>The thread ended: a later call with its id starts a new thread.</summary>
    public virtual void OnThreadEnd(long thread)
    {
    }

    /// <summary>The reader found that <paramref name="oldThread"/>'s calls were <paramref name="newThread"/>'s.</summary>
    public virtual void OnThreadRenamed(long oldThread, long newThread)
    {
    }

    /// <summary>
    /// The score of the calls so far. For a detector that reads window counts it is known only once
    /// the log has ended: read <see cref="Finish"/>'s instead.
    /// </summary>
    public abstract double Score { get; }

    /// <summary>The log has ended: its score and what it is made of.</summary>
    public virtual DetectorScore Finish() => new(Score, Explained, _details, Truncated);

    /// <summary>Explanations so far, with repetition.</summary>
    public long Explained { get; private set; }

    /// <summary>Distinct explanations so far, in order of first occurrence.</summary>
    public IReadOnlyList<Mismatch> Details => _details;

    public bool Truncated { get; private set; }

    /// <summary>Called at once with each new distinct explanation (live checking alerts from here, while the log is read).</summary>
    public Action<Mismatch>? OnExplained { get; set; }

    /// <summary>Counts one explanation: <paramref name="window"/> (oldest first), first seen at <paramref name="line"/>.</summary>
    protected void Explain(ReadOnlySpan<int> window, long line, long thread, string? reason = null)
    {
        Explained++;
        if (!Options.Explain)
        {
            return;
        }

        // Looked up by a key built on the stack: a window explained before costs no allocation.
        Span<char> key = stackalloc char[(2 * window.Length) + 1];
        key[0] = (char)ReasonIndex(reason);
        for (int i = 0; i < window.Length; i++)
        {
            key[(2 * i) + 1] = (char)(window[i] >> 16);
            key[(2 * i) + 2] = (char)window[i];
        }

        if (_byKey is null)
        {
            _byKey = new Dictionary<string, Mismatch>(StringComparer.Ordinal);
            _byKeySpan = _byKey.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        if (_byKeySpan.TryGetValue(key, out Mismatch? seen))
        {
            seen.Count++;
            return;
        }

        if (_details.Count >= FingerprintChecker.MaxDistinctMismatches)
        {
            Truncated = true;
            return;
        }

        var mismatch = new Mismatch(window.ToArray(), line, thread) { Reason = reason };
        _byKey.Add(new string(key), mismatch);
        _details.Add(mismatch);
        OnExplained?.Invoke(mismatch);
    }

    private int ReasonIndex(string? reason)
    {
        for (int i = 0; i < _reasons.Count; i++)
        {
            if (string.Equals(_reasons[i], reason, StringComparison.Ordinal))
            {
                return i;
            }
        }

        _reasons.Add(reason);
        return _reasons.Count - 1;
    }
}

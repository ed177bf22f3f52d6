namespace Sysprint.Model;

/// <summary>
/// Matches every window of a log against a fingerprint (the paper's one-to-one matching) and
/// collects the windows it does not hold. Allocates only when a window mismatches for the first time.
/// </summary>
public sealed class FingerprintChecker : GramTracker
{
    /// <summary>Distinct mismatches kept with their details; beyond, they are counted only.</summary>
    public const int MaxDistinctMismatches = 10_000;

    private readonly Fingerprint _fingerprint;
    private readonly Dictionary<string, Mismatch> _byGram = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Mismatch>.AlternateLookup<ReadOnlySpan<char>> _byGramSpan;
    private readonly List<Mismatch> _ordered = [];

    public FingerprintChecker(Fingerprint fingerprint)
        : base(fingerprint?.Window ?? throw new ArgumentNullException(nameof(fingerprint)))
    {
        _fingerprint = fingerprint;
        _byGramSpan = _byGram.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Mismatching windows counted with repetition.</summary>
    public long MismatchCount { get; private set; }

    /// <summary>Distinct mismatching windows, in order of first occurrence.</summary>
    public IReadOnlyList<Mismatch> Mismatches => _ordered;

    /// <summary>True when more distinct mismatches occurred than <see cref="MaxDistinctMismatches"/>.</summary>
    public bool DetailsTruncated { get; private set; }

    /// <summary>Called for every checked call with whether its window mismatched (for detectors that weigh mismatches).</summary>
    public Action<bool, long>? OnChecked { get; set; }

    /// <summary>Forgets the previous log's results and threads.</summary>
    public void Reset()
    {
        EndAllThreads();
        _byGram.Clear();
        _ordered.Clear();
        MismatchCount = 0;
        DetailsTruncated = false;
    }

    protected override void OnGram(ReadOnlySpan<int> gram, long thread, long line)
    {
        bool ok = _fingerprint.Contains(gram);
        OnChecked?.Invoke(!ok, line);
        if (ok)
        {
            return;
        }

        MismatchCount++;
        Span<char> key = stackalloc char[gram.Length * 2];
        for (int i = 0; i < gram.Length; i++)
        {
            key[2 * i] = (char)(gram[i] >> 16);
            key[(2 * i) + 1] = (char)gram[i];
        }

        if (_byGramSpan.TryGetValue(key, out Mismatch? seen))
        {
            seen.Count++;
            return;
        }

        if (_ordered.Count >= MaxDistinctMismatches)
        {
            DetailsTruncated = true;
            return;
        }

        var mismatch = new Mismatch(gram.ToArray(), line, thread);
        _byGram.Add(new string(key), mismatch);
        _ordered.Add(mismatch);
    }
}

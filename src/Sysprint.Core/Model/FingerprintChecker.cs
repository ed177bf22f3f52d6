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

    /// <summary>
    /// Called at once when a window mismatches for the first time in the log (live checking raises
    /// its alert from here, while the log is still being read).
    /// </summary>
    public Action<Mismatch>? OnFirstMismatch { get; set; }

    /// <summary>
    /// When above 0, the locality frame (calls) over which <see cref="MaxFrameMismatches"/> counts
    /// mismatches: the LFC detector (Warrender, Forrest and Pearlmutter 1999).
    /// </summary>
    public int LocalityFrame { get; set; }

    /// <summary>The most mismatches within any <see cref="LocalityFrame"/> consecutive calls of one thread.</summary>
    public int MaxFrameMismatches { get; private set; }

    private readonly Dictionary<long, FrameState> _frames = [];

    /// <summary>Forgets the previous log's results and threads.</summary>
    public void Reset()
    {
        EndAllThreads();
        _byGram.Clear();
        _ordered.Clear();
        MismatchCount = 0;
        DetailsTruncated = false;
        MaxFrameMismatches = 0;
        _frames.Clear();
    }

    protected override void OnGram(ReadOnlySpan<int> gram, long thread, long line)
    {
        bool ok = _fingerprint.Contains(gram);
        if (LocalityFrame > 0)
        {
            CountInFrame(ok, thread);
        }

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
        OnFirstMismatch?.Invoke(mismatch);
    }

    private void CountInFrame(bool ok, long thread)
    {
        if (!_frames.TryGetValue(thread, out FrameState? frame))
        {
            frame = new FrameState();
            _frames[thread] = frame;
        }

        long index = ++frame.Calls;
        Queue<long> recent = frame.Recent;
        while (recent.Count > 0 && recent.Peek() <= index - LocalityFrame)
        {
            recent.Dequeue();
        }

        if (!ok)
        {
            recent.Enqueue(index);
            MaxFrameMismatches = Math.Max(MaxFrameMismatches, recent.Count);
        }
    }

    /// <summary>One thread's position and its mismatches inside the current frame.</summary>
    private sealed class FrameState
    {
        public Queue<long> Recent { get; } = new();

        public long Calls { get; set; }
    }
}

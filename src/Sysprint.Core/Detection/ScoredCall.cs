namespace Sysprint.Detection;

/// <summary>
/// One call of a log as a detector's scorer sees it: where it stands in its thread, its last calls,
/// and whether the windows ending at it were seen in normal runs. The novelty rule lives here, once,
/// for every command: the window of <c>k</c> calls ending at a call is the last <c>min(k, Position)</c>
/// calls of its thread (the whole prefix near the thread's start), and it is novel when normal runs
/// never held those calls in that order, anywhere in a thread.
/// </summary>
/// <remarks>Valid only during the <see cref="DetectorScorer.OnCall"/> that receives it.</remarks>
public readonly ref struct ScoredCall
{
    private ScoredCall(long thread, long line, long position, ReadOnlySpan<int> recent, int novelFrom, int longest, int count)
    {
        Thread = thread;
        Line = line;
        Position = position;
        Recent = recent;
        NovelFrom = novelFrom;
        Longest = longest;
        Count = count;
    }

    /// <summary>The thread (pid) of the call; an index in the evaluation.</summary>
    public long Thread { get; }

    /// <summary>The call's 1-based line in its log (0 in the evaluation, which reads logs whole).</summary>
    public long Line { get; }

    /// <summary>Calls of the thread so far, this one included.</summary>
    public long Position { get; }

    /// <summary>
    /// The thread's last calls, oldest first, ending with this one: at least the window the detector
    /// reads (<see cref="SubstringModel.MaxWindow"/> calls with window counts, the fingerprint's
    /// window with a fingerprint), fewer near the thread's start.
    /// </summary>
    public ReadOnlySpan<int> Recent { get; }

    /// <summary>The call itself.</summary>
    public int Number => Recent[^1];

    /// <summary>
    /// The shortest window length whose window ending here is novel (<see cref="int.MaxValue"/>: none);
    /// every longer window holds it, so it is novel too. Read through a fingerprint, only the
    /// fingerprint's window is answered.
    /// </summary>
    public int NovelFrom { get; }

    /// <summary>The longest seen window ending here (0: the call was never seen). Window counts only.</summary>
    public int Longest { get; }

    /// <summary>How often normal runs held the window of <see cref="CountWindow"/> calls ending here (0: never, or too near the thread's start). Window counts only.</summary>
    public int Count { get; }

    /// <summary>The window whose training count <see cref="Count"/> gives (t-stide's).</summary>
    public const int CountWindow = 6;

    /// <summary>True when the window of <paramref name="k"/> calls ending here was never seen in normal runs.</summary>
    public bool IsNovel(int k) => k >= NovelFrom;

    /// <summary>
    /// A call read through the window counts: <paramref name="longest"/> is the longest seen window
    /// ending at it (<see cref="SubstringModel.Next"/>), which answers novelty for every window up to
    /// <see cref="SubstringModel.MaxWindow"/>: the k-window is novel when <c>longest &lt; min(k, position)</c>.
    /// </summary>
    public static ScoredCall FromWindowCounts(long thread, long line, long position, ReadOnlySpan<int> recent, int longest, int count)
    {
        int novelFrom = longest < Math.Min(position, SubstringModel.MaxWindow) ? longest + 1 : int.MaxValue;
        return new ScoredCall(thread, line, position, recent, novelFrom, longest, count);
    }

    /// <summary>
    /// A call read through a fingerprint: <paramref name="gram"/> is the window ending at it (the
    /// fingerprint's length, shorter at the thread's start) and <paramref name="seen"/> whether normal
    /// runs held it (<see cref="Model.Fingerprint.Seen"/>).
    /// </summary>
    public static ScoredCall FromFingerprint(long thread, long line, long position, ReadOnlySpan<int> gram, bool seen) =>
        new(thread, line, position, gram, seen ? int.MaxValue : gram.Length, -1, 0);
}

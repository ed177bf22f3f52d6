using Sysprint.Model;
using Sysprint.Parsing;

namespace Sysprint.Detection;

/// <summary>
/// Feeds a log, as the reader delivers it, to one detector's scorer: per thread its last calls and
/// where it stands in the normal runs, through the window counts (for a detector that reads them)
/// or the fingerprint (paper, stide, lfc). check, run, attach and watch all score through this.
/// </summary>
public sealed class ScoringSink : ISyscallSink
{
    private readonly DetectorScorer _scorer;
    private readonly FingerprintFeed? _fingerprint;
    private readonly WindowFeed? _windows;

    /// <param name="ignoreThreadStarts">Take a thread's first calls (windows shorter than the fingerprint's) as seen:
    /// when attaching to a running process, the first call seen of a thread is not its real start.</param>
    public ScoringSink(Detector detector, NormalRuns normal, ScorerOptions options, bool ignoreThreadStarts = false)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(normal);
        ArgumentNullException.ThrowIfNull(options);
        Detector = detector;
        _scorer = detector.NewScorer(normal, options);
        if (detector.ReadsWindowCounts)
        {
            _windows = new WindowFeed(normal.Windows, _scorer, options.MaxThreads);
        }
        else
        {
            Fingerprint fingerprint = normal.Fingerprint;
            if (detector.FingerprintWindow != fingerprint.Window)
            {
                throw new ArgumentException(
                    $"detector '{detector.Name}' reads windows of {detector.FingerprintWindow} calls, the fingerprint holds {fingerprint.Window}", nameof(detector));
            }

            _fingerprint = new FingerprintFeed(fingerprint, _scorer, ignoreThreadStarts) { MaxThreads = options.MaxThreads };
        }
    }

    public Detector Detector { get; }

    /// <summary>The scorer being fed (its score so far, its explanations).</summary>
    public DetectorScorer Scorer => _scorer;

    /// <summary>Calls fed so far.</summary>
    public long Syscalls { get; private set; }

    public void OnSyscall(long thread, int number, long line)
    {
        Syscalls++;
        if (_fingerprint is not null)
        {
            _fingerprint.OnSyscall(thread, number, line);
        }
        else
        {
            _windows!.OnSyscall(thread, number, line);
        }
    }

    public void OnThreadEnd(long thread)
    {
        if (_fingerprint is not null)
        {
            _fingerprint.OnThreadEnd(thread);
        }
        else
        {
            _windows!.OnThreadEnd(thread);
        }

        _scorer.OnThreadEnd(thread);
    }

    public void OnThreadRenamed(long oldThread, long newThread)
    {
        if (_fingerprint is not null)
        {
            _fingerprint.OnThreadRenamed(oldThread, newThread);
        }
        else
        {
            _windows!.OnThreadRenamed(oldThread, newThread);
        }

        _scorer.OnThreadRenamed(oldThread, newThread);
    }

    /// <summary>The log has ended: its score and what it is made of.</summary>
    public DetectorScore Finish() => _scorer.Finish();

    private sealed class FingerprintFeed(Fingerprint fingerprint, DetectorScorer scorer, bool ignoreThreadStarts)
        : GramTracker(fingerprint.Window)
    {
        protected override void OnGram(ReadOnlySpan<int> gram, long thread, long line)
        {
            bool seen = (ignoreThreadStarts && gram.Length < Window) || fingerprint.Seen(gram);
            scorer.OnCall(ScoredCall.FromFingerprint(thread, line, CallsInThread, gram, seen));
        }
    }

    private sealed class WindowFeed(SubstringModel model, DetectorScorer scorer, int maxThreads)
    {
        private readonly ThreadStates<ThreadState> _threads = new(maxThreads, () => new ThreadState());

        public void OnSyscall(long thread, int number, long line)
        {
            ThreadState state = _threads.Get(thread);
            int longest = model.Next(state.Cursor, number, ScoredCall.CountWindow, out int count);
            int[] recent = state.Recent;
            if (state.Held < recent.Length)
            {
                recent[state.Held++] = number;
            }
            else
            {
                for (int i = 0; i < recent.Length - 1; i++)
                {
                    recent[i] = recent[i + 1];
                }

                recent[^1] = number;
            }

            scorer.OnCall(ScoredCall.FromWindowCounts(thread, line, state.Cursor.Position, recent.AsSpan(0, state.Held), longest, count));
        }

        public void OnThreadEnd(long thread) => _threads.End(thread);

        public void OnThreadRenamed(long oldThread, long newThread) => _threads.Rename(oldThread, newThread);

        private sealed class ThreadState
        {
            public WindowCursor Cursor { get; } = new();

            public int[] Recent { get; } = new int[SubstringModel.MaxWindow];

            public int Held { get; set; }
        }
    }
}

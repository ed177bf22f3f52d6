namespace Sysprint.Detection;

/// <summary>
/// stide's scorer: counts the novel windows of <c>window</c> calls, each explained by the whole
/// window (shorter at a thread's start). With a locality <c>frame</c> above 0 the score is instead
/// the most novel windows among any <c>frame</c> consecutive calls of one thread (LFC).
/// </summary>
internal sealed class NovelWindowScorer : DetectorScorer
{
    private readonly int _window;
    private readonly int _frame;
    private readonly Parsing.ThreadStates<Frame>? _frames;
    private long _novel;
    private int _bestFrame;

    public NovelWindowScorer(int window, int frame, ScorerOptions options)
        : base(options)
    {
        _window = window;
        _frame = frame;
        if (frame > 0)
        {
            _frames = new Parsing.ThreadStates<Frame>(options.MaxThreads, () => new Frame());
        }
    }

    public override double Score => _frame > 0 ? _bestFrame : _novel;

    public override void OnCall(in ScoredCall scored)
    {
        bool novel = scored.IsNovel(_window);
        if (_frames is not null)
        {
            // The last `frame` calls of the thread, one bit each: set when the window ending there is novel.
            Frame frame = _frames.Get(scored.Thread);
            frame.Bits = ((frame.Bits << 1) | (novel ? 1UL : 0UL)) & (_frame == 64 ? ulong.MaxValue : (1UL << _frame) - 1);
            _bestFrame = Math.Max(_bestFrame, System.Numerics.BitOperations.PopCount(frame.Bits));
        }

        if (novel)
        {
            _novel++;
            ReadOnlySpan<int> recent = scored.Recent;
            Explain(recent[^(int)Math.Min(_window, Math.Min(scored.Position, recent.Length))..], scored.Line, scored.Thread);
        }
    }

    public override void OnThreadEnd(long thread) => _frames?.End(thread);

    public override void OnThreadRenamed(long oldThread, long newThread) => _frames?.Rename(oldThread, newThread);

    private sealed class Frame
    {
        public ulong Bits { get; set; }
    }
}

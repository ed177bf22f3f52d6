using Sysprint.Model;

namespace Sysprint.Detection;

/// <summary>
/// Learns a log, as it streams, into a <see cref="SubstringModel"/>: every window of 1 to
/// <see cref="SubstringModel.MaxWindow"/> calls within a thread, with how often each opens a thread.
/// Training keeps one such model per log and adds it to the profile's stored totals.
/// </summary>
public sealed class WindowModelLearner : GramTracker
{
    private readonly SubstringModel _model;
    private readonly int _trace;

    // One call more than the model's longest window: a gram shorter than that is the thread's
    // whole beginning, so the tracker's gram tells whether its oldest call opened the thread.
    public WindowModelLearner(SubstringModel model, int trace = 0)
        : base(SubstringModel.MaxWindow + 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _trace = trace;
    }

    public SubstringModel Model => _model;

    protected override void OnGram(ReadOnlySpan<int> gram, long thread, long line)
    {
        bool startsThread = gram.Length <= SubstringModel.MaxWindow;
        _model.LearnEndingAt(startsThread ? gram : gram[1..], startsThread, _trace);
    }
}

using Sysprint.Parsing;

namespace Sysprint.Detection;

/// <summary>
/// Learns a log, as it streams, into a <see cref="SubstringModel"/>: every window of 1 to
/// <see cref="SubstringModel.MaxWindow"/> calls within a thread, with how often each opens a thread.
/// Training keeps one such model per log and adds it to the profile's stored totals.
/// </summary>
public sealed class WindowModelLearner(SubstringModel model, int trace = 0) : ISyscallSink
{
    private readonly Dictionary<long, WindowCursor> _threads = [];
    private long _lastThread = long.MinValue;
    private WindowCursor? _last;

    public SubstringModel Model => model;

    /// <summary>Most threads alive at once: a log naming more without their exits is refused.</summary>
    public int MaxThreads { get; init; } = LogReadOptions.DefaultMaxThreads;

    public void OnSyscall(long thread, int number, long line)
    {
        if (thread != _lastThread || _last is null)
        {
            if (!_threads.TryGetValue(thread, out _last))
            {
                if (_threads.Count >= MaxThreads)
                {
                    throw new InputLimitException($"more than {MaxThreads} threads alive at once (raise the limit with --max-threads)");
                }

                _last = new WindowCursor();
                _threads[thread] = _last;
            }

            _lastThread = thread;
        }

        model.Learn(_last, number, trace);
    }

    public void OnThreadEnd(long thread)
    {
        _threads.Remove(thread);
        _last = null;
    }

    public void OnThreadRenamed(long oldThread, long newThread)
    {
        if (_threads.Remove(oldThread, out WindowCursor? cursor) && !_threads.ContainsKey(newThread))
        {
            _threads[newThread] = cursor;
        }

        _last = null;
    }
}

using Sysprint.Parsing;

namespace Sysprint.Detection;

/// <summary>
/// Learns a log, as it streams, into a <see cref="SubstringModel"/>: every window of 1 to
/// <see cref="SubstringModel.MaxWindow"/> calls within a thread, with how often each opens a thread.
/// Training keeps one such model per log and stores it with the log.
/// </summary>
public sealed class WindowModelLearner(SubstringModel model, int trace = 0) : ISyscallSink
{
    private ThreadStates<WindowCursor>? _threads;

    public SubstringModel Model => model;

    /// <summary>Most threads alive at once: a log naming more without their exits is refused.</summary>
    public int MaxThreads { get; init; } = LogReadOptions.DefaultMaxThreads;

    private ThreadStates<WindowCursor> Threads => _threads ??= new ThreadStates<WindowCursor>(MaxThreads, () => new WindowCursor());

    public void OnSyscall(long thread, int number, long line) => model.Learn(Threads.Get(thread), number, trace);

    public void OnThreadEnd(long thread) => Threads.End(thread);

    public void OnThreadRenamed(long oldThread, long newThread) => Threads.Rename(oldThread, newThread);
}

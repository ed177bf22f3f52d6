using Sysprint.Detection;
using Sysprint.Parsing;

namespace Sysprint.Engine;

/// <summary>
/// Holds a whole log in memory as a <see cref="LoadedTrace"/>, with each call's line and thread, for
/// the detectors that score a log as a whole (zstide, freq, callset) and must point back at lines.
/// </summary>
public sealed class TraceRecorder(int maxThreads) : ISyscallSink
{
    private readonly Dictionary<long, Open> _open = [];
    private readonly List<(long Thread, int[] Calls, long[] Lines)> _done = [];

    /// <summary>Calls recorded so far.</summary>
    public long Syscalls { get; private set; }

    public void OnSyscall(long thread, int number, long line)
    {
        Syscalls++;
        if (!_open.TryGetValue(thread, out Open? calls))
        {
            if (_open.Count >= maxThreads)
            {
                throw new InputLimitException(
                    $"more than {maxThreads} threads alive at once (raise the limit with --max-threads)");
            }

            calls = new Open();
            _open[thread] = calls;
        }

        calls.Calls.Add(number);
        calls.Lines.Add(line);
    }

    public void OnThreadEnd(long thread)
    {
        if (_open.Remove(thread, out Open? calls))
        {
            _done.Add((thread, [.. calls.Calls], [.. calls.Lines]));
        }
    }

    public void OnThreadRenamed(long oldThread, long newThread)
    {
        if (_open.Remove(oldThread, out Open? calls) && !_open.ContainsKey(newThread))
        {
            _open[newThread] = calls;
        }
    }

    /// <summary>The trace, threads in the order they ended (those still open last), and each call's line and thread.</summary>
    public RecordedTrace Finish(string path)
    {
        foreach ((long thread, Open calls) in _open)
        {
            _done.Add((thread, [.. calls.Calls], [.. calls.Lines]));
        }

        _open.Clear();
        return new RecordedTrace(new LoadedTrace(path, null, [.. _done.Select(d => d.Calls)]), [.. _done.Select(d => d.Lines)], [.. _done.Select(d => d.Thread)]);
    }

    private sealed class Open
    {
        public List<int> Calls { get; } = [];

        public List<long> Lines { get; } = [];
    }
}

/// <summary>A whole log in memory: its threads' calls, and for each call its line and for each thread its id.</summary>
public sealed record RecordedTrace(LoadedTrace Trace, long[][] Lines, long[] Threads);

using Sysprint.Diagnostics;

namespace Sysprint.Parsing;

/// <summary>
/// What a sink keeps per thread of a log: found by thread id (the last one cached, as threads of
/// a <c>-f</c> log take turns), at most <c>maxThreads</c> alive at once, dropped when the thread
/// ends and moved when the reader renames it.
/// </summary>
internal sealed class ThreadStates<T>(int maxThreads, Func<T> create)
    where T : class
{
    private readonly Dictionary<long, T> _threads = [];
    private long _lastThread = long.MinValue;
    private T? _last;

    /// <summary>The thread's state, created at its first call.</summary>
    /// <exception cref="InputLimitException">More than <c>maxThreads</c> threads would be alive.</exception>
    public T Get(long thread)
    {
        if (thread == _lastThread && _last is not null)
        {
            return _last;
        }

        if (!_threads.TryGetValue(thread, out T? state))
        {
            if (_threads.Count >= maxThreads)
            {
                throw new InputLimitException($"more than {maxThreads} threads alive at once", RemedyKind.RaiseThreadLimit);
            }

            state = create();
            _threads[thread] = state;
        }

        _lastThread = thread;
        _last = state;
        return state;
    }

    public void End(long thread)
    {
        _threads.Remove(thread);
        _last = null;
    }

    public void Rename(long oldThread, long newThread)
    {
        if (_threads.Remove(oldThread, out T? state) && !_threads.ContainsKey(newThread))
        {
            _threads[newThread] = state;
        }

        _last = null;
    }
}

using System.Diagnostics.CodeAnalysis;
using Sysprint.Diagnostics;
using Sysprint.Parsing;

namespace Sysprint.Model;

/// <summary>
/// Turns the interleaved calls of a log into per-thread sliding windows and hands each window
/// (the gram ending at the current call) to <see cref="OnGram"/>. The interleaving of threads in a
/// log is scheduling noise, so windows never span two threads.
/// </summary>
public abstract class GramTracker : ISyscallSink
{
    // Threads recently seen, by the low bits of their id: with -f, a few processes take turns
    // line by line, and this spares the dictionary lookup on each switch. Kept in step with
    // _threads: an entry is the window _threads holds for that thread.
    private const int RecentSlots = 64;

    private readonly Dictionary<long, ThreadWindow> _threads = [];
    private readonly Stack<ThreadWindow> _free = new();
    private readonly ThreadWindow?[] _recent = new ThreadWindow?[RecentSlots];
    private long _lastThread = long.MinValue;
    private ThreadWindow? _last;

    protected GramTracker(int window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, Fingerprint.MinWindow);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(window, Fingerprint.MaxWindow);
        Window = window;
    }

    public int Window { get; }

    /// <summary>
    /// Most threads alive at once (each holds a window): a log naming more without their exits is
    /// refused rather than grown into without bound.
    /// </summary>
    public int MaxThreads { get; init; } = LogReadOptions.DefaultMaxThreads;

    /// <summary>Calls seen so far.</summary>
    public long Syscalls { get; private set; }

    /// <summary>Threads seen so far (a pid reused after its exit counts again).</summary>
    public long Threads { get; private set; }

    public void OnSyscall(long thread, int number, long line)
    {
        ThreadWindow state = StateOf(thread);
        Syscalls++;
        int[] calls = state.Calls;
        if (state.Count < Window)
        {
            calls[state.Count++] = number;
        }
        else
        {
            // A loop: Array.Copy's fixed cost outweighs moving the 1 to 15 calls of a window.
            int last = calls.Length - 1;
            for (int i = 0; i < last; i++)
            {
                calls[i] = calls[i + 1];
            }

            calls[last] = number;
        }

        CallsInThread = ++state.Position;
        OnGram(new ReadOnlySpan<int>(calls, 0, state.Count), thread, line);
    }

    public void OnThreadEnd(long thread)
    {
        if (_threads.Remove(thread, out ThreadWindow? state))
        {
            state.Count = 0;
            state.Position = 0;
            _free.Push(state);
            if (_recent[RecentSlot(thread)] == state)
            {
                _recent[RecentSlot(thread)] = null;
            }
        }

        if (thread == _lastThread)
        {
            _lastThread = long.MinValue;
            _last = null;
        }
    }

    public void OnThreadRenamed(long oldThread, long newThread)
    {
        if (_threads.Remove(oldThread, out ThreadWindow? state) && !_threads.ContainsKey(newThread))
        {
            _threads[newThread] = state;
            state.Thread = newThread;
        }

        Array.Clear(_recent);
        _lastThread = long.MinValue;
        _last = null;
    }

    /// <summary>Ends every thread: call between logs so no window spans two logs.</summary>
    public void EndAllThreads()
    {
        foreach (ThreadWindow state in _threads.Values)
        {
            state.Count = 0;
            state.Position = 0;
            _free.Push(state);
        }

        _threads.Clear();
        Array.Clear(_recent);
        _lastThread = long.MinValue;
        _last = null;
    }

    /// <summary>During <see cref="OnGram"/>: calls of the current thread so far, the current one included.</summary>
    protected long CallsInThread { get; private set; }

    /// <summary>The window ending at the current call: oldest first, 1 to <see cref="Window"/> calls.</summary>
    protected abstract void OnGram(ReadOnlySpan<int> gram, long thread, long line);

    private ThreadWindow StateOf(long thread)
    {
        if (thread == _lastThread && _last is not null)
        {
            return _last;
        }

        int slot = RecentSlot(thread);
        ThreadWindow? state = _recent[slot];
        if (state is null || state.Thread != thread)
        {
            if (!_threads.TryGetValue(thread, out state))
            {
                if (_threads.Count >= MaxThreads)
                {
                    ThrowTooManyThreads();
                }

                state = _free.Count > 0 ? _free.Pop() : new ThreadWindow(Window);
                state.Thread = thread;
                _threads[thread] = state;
                Threads++;
            }

            _recent[slot] = state;
        }

        _lastThread = thread;
        _last = state;
        return state;
    }

    [DoesNotReturn]
    private void ThrowTooManyThreads() =>
        throw new InputLimitException(
            $"more than {MaxThreads} threads alive at once", RemedyKind.RaiseThreadLimit);

    private static int RecentSlot(long thread) => (int)thread & (RecentSlots - 1);

    private sealed class ThreadWindow(int window)
    {
        public int[] Calls { get; } = new int[window];

        /// <summary>The thread whose window this is, while <c>_threads</c> holds it.</summary>
        public long Thread { get; set; }

        public int Count { get; set; }

        /// <summary>Calls of the thread so far.</summary>
        public long Position { get; set; }
    }
}

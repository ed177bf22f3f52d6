using System.Runtime.InteropServices;
using Sysprint.Detection;
using Sysprint.Model;
using Sysprint.Parsing;

namespace Sysprint.Engine;

/// <summary>
/// Scores a log with a whole-log detector (zstide, freq, callset) as it streams, in memory bounded
/// by its threads and distinct calls, not by its length: per thread its place in the window model
/// and its last calls; per log the unseen-window counts, the distinct calls with their first
/// occurrence, and up to <see cref="FingerprintChecker.MaxDistinctMismatches"/> distinct explanations.
/// <see cref="Finish"/> gives the score the evaluation would give the same log.
/// </summary>
public sealed class WindowScorer : ISyscallSink
{
    private readonly SubstringModel _model;
    private readonly WindowCheck _check;
    private readonly string _detector;
    private readonly int _maxCalls;
    private readonly ThreadStates<ThreadState> _threads;
    private readonly long[] _novel = new long[SubstringModel.MaxWindow + 1];
    private readonly Dictionary<int, (long Line, long Thread, long Count)> _used = [];
    private readonly Dictionary<string, Mismatch> _byWindow = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Mismatch>.AlternateLookup<ReadOnlySpan<char>> _byWindowSpan;
    private readonly List<Mismatch> _details = [];
    private long _calls;
    private long _anomalousWindows;
    private long _explained;
    private bool _truncated;

    internal WindowScorer(WindowCheck check, SubstringModel model, string detector, int maxThreads, int maxCalls)
    {
        _check = check;
        _model = model;
        _detector = detector;
        _threads = new ThreadStates<ThreadState>(maxThreads, () => new ThreadState());
        _maxCalls = maxCalls;
        _byWindowSpan = _byWindow.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    private static int CountWindow => Evaluation.Evaluator.CountWindow;

    public void OnSyscall(long thread, int number, long line)
    {
        ThreadState state = _threads.Get(thread);
        ref (long Line, long Thread, long Count) used = ref CollectionsMarshal.GetValueRefOrAddDefault(_used, number, out bool seen);
        if (!seen)
        {
            if (_used.Count > _maxCalls)
            {
                _used.Remove(number);
                throw new InputLimitException(
                    $"more than {_maxCalls} distinct system calls in one log (raise the limit with --max-calls, up to {LogReadOptions.MaxMaxCalls})");
            }

            used = (line, thread, 0);
        }

        used.Count++;
        _calls++;
        int longest = _model.Next(state.Cursor, number, CountWindow, out int count);
        state.Remember(number);

        // The window of k calls ending here is unseen when the longest seen one is shorter, or,
        // near the thread's start, shorter than all the calls so far.
        long position = state.Cursor.Position;
        for (int k = 2; k <= SubstringModel.MaxWindow; k++)
        {
            if (longest < Math.Min(k, position))
            {
                _novel[k]++;
            }
        }

        if (_detector == Detectors.ZStide)
        {
            if (longest < Math.Min(SubstringModel.MaxWindow, position))
            {
                Explain(state, longest + 1, line, thread, null);
            }
        }
        else if (_detector == Detectors.Freq)
        {
            if (longest < Math.Min(CountWindow, position))
            {
                _anomalousWindows++;
                Explain(state, longest + 1, line, thread, null);
            }
            else if (position >= CountWindow && count < _check.RareBelow)
            {
                _anomalousWindows++;
                Explain(state, CountWindow, line, thread, "rare");
            }
        }
    }

    public void OnThreadEnd(long thread) => _threads.End(thread);

    public void OnThreadRenamed(long oldThread, long newThread) => _threads.Rename(oldThread, newThread);

    /// <summary>The log's score, and the windows or calls it is made of.</summary>
    public WindowScore Finish()
    {
        if (_detector == Detectors.ZStide)
        {
            return new WindowScore(_check.ZStide.Score(_calls, k => _novel[k]), _explained, _details, _truncated);
        }

        if (_detector == Detectors.Freq)
        {
            return new WindowScore(_anomalousWindows, _explained, _details, _truncated);
        }

        int[] vocabulary = [.. _used.Keys];
        Array.Sort(vocabulary);
        (double distance, int[] added, int[] missing) = _check.CallSet.Explain(vocabulary);
        var details = new List<Mismatch>(added.Length + missing.Length);
        long count = 0;
        foreach (int call in added)
        {
            // Where the log first makes the call, and how often it does.
            (long line, long thread, long times) = _used[call];
            details.Add(new Mismatch([call], line, thread) { Reason = CallSetReasons.Added, Count = times });
            count += times;
        }

        foreach (int call in missing)
        {
            details.Add(new Mismatch([call], 0, 0) { Reason = CallSetReasons.Missing, Count = 0 });
            count++;
        }

        return new WindowScore(distance, count, details, false);
    }

    // A call where a window ending there was never seen is explained by the shortest such window
    // (the seen part plus the call that broke it); with freq, a rare 6-window by itself.
    private void Explain(ThreadState state, int length, long line, long thread, string? reason)
    {
        // Looked up by a key built on the stack: a window seen before costs no allocation.
        _explained++;
        Span<char> key = stackalloc char[(2 * SubstringModel.MaxWindow) + 1];
        key[0] = reason is null ? 'u' : 'r';
        state.Recent(length, key[1..]);
        ReadOnlySpan<char> used = key[..((2 * length) + 1)];
        if (_byWindowSpan.TryGetValue(used, out Mismatch? seen))
        {
            seen.Count++;
        }
        else if (_details.Count < FingerprintChecker.MaxDistinctMismatches)
        {
            var mismatch = new Mismatch(state.Recent(length), line, thread) { Reason = reason };
            _byWindow[new string(used)] = mismatch;
            _details.Add(mismatch);
        }
        else
        {
            _truncated = true;
        }
    }

    private sealed class ThreadState
    {
        private readonly int[] _recent = new int[SubstringModel.MaxWindow];

        public WindowCursor Cursor { get; } = new();

        public void Remember(int call) => _recent[(int)((Cursor.Position - 1) % SubstringModel.MaxWindow)] = call;

        /// <summary>The last <paramref name="length"/> calls, oldest first, as two chars each (a lookup key).</summary>
        public void Recent(int length, Span<char> key)
        {
            for (int i = 0; i < length; i++)
            {
                int call = _recent[(int)((Cursor.Position - length + i) % SubstringModel.MaxWindow)];
                key[2 * i] = (char)(call >> 16);
                key[(2 * i) + 1] = (char)call;
            }
        }

        /// <summary>The last <paramref name="length"/> calls, oldest first.</summary>
        public int[] Recent(int length)
        {
            int[] gram = new int[length];
            for (int i = 0; i < length; i++)
            {
                gram[i] = _recent[(int)((Cursor.Position - length + i) % SubstringModel.MaxWindow)];
            }

            return gram;
        }
    }
}

namespace Sysprint.Detection;

/// <summary>
/// A trace seen through a <see cref="SubstringModel"/>: per thread, for each call, the longest seen
/// window ending there and the training count of the fixed-length window ending there.
/// </summary>
public sealed class TraceAnalysis
{
    private TraceAnalysis(LoadedTrace trace, ThreadAnalysis[] threads, int countWindow, long[] novel)
    {
        Trace = trace;
        Threads = threads;
        CountWindow = countWindow;
        _novel = novel;
    }

    private readonly long[] _novel;

    /// <summary>Calls in the trace (windows of any length, one ending at each call).</summary>
    public long Calls => Trace.Calls;

    /// <summary>How many windows of <paramref name="k"/> calls in the trace were never seen (stide's count).</summary>
    public long NovelWindows(int k) => _novel[k];

    public LoadedTrace Trace { get; }

    public IReadOnlyList<ThreadAnalysis> Threads { get; }

    /// <summary>The window length whose training counts <see cref="ThreadAnalysis.Counts"/> holds.</summary>
    public int CountWindow { get; }

    /// <summary>Analyses <paramref name="trace"/> through <paramref name="model"/>.</summary>
    public static TraceAnalysis Of(LoadedTrace trace, SubstringModel model, int countWindow)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(model);
        var threads = new ThreadAnalysis[trace.Threads.Length];
        for (int t = 0; t < threads.Length; t++)
        {
            int[] calls = trace.Threads[t];
            var longest = new byte[calls.Length];
            var counts = new int[calls.Length];
            model.Analyse(calls, longest, counts, countWindow);
            threads[t] = new ThreadAnalysis(calls, longest, counts);
        }

        // One pass gives stide's count for every k: the window of k calls ending at i is unseen
        // exactly when the longest seen window there is shorter than min(k, i + 1).
        var novel = new long[SubstringModel.MaxWindow + 2];
        foreach (ThreadAnalysis thread in threads)
        {
            for (int i = 0; i < thread.Longest.Length; i++)
            {
                int longest = thread.Longest[i];
                if (i + 1 > longest)
                {
                    // Unseen for every k above `longest` (k <= i + 1); for k > i + 1 the window is the
                    // whole prefix, which is unseen too because it is longer than `longest`.
                    novel[longest + 1]++;
                }
            }
        }

        for (int k = 2; k < novel.Length; k++)
        {
            novel[k] += novel[k - 1];
        }

        return new TraceAnalysis(trace, threads, countWindow, novel);
    }

    /// <summary>True when the window of <paramref name="k"/> calls ending at call <paramref name="i"/> was never seen (shorter at a thread's start).</summary>
    public static bool Novel(ThreadAnalysis thread, int i, int k) => thread.Longest[i] < Math.Min(k, i + 1);
}

/// <summary>One thread of a <see cref="TraceAnalysis"/>.</summary>
public sealed record ThreadAnalysis(int[] Calls, byte[] Longest, int[] Counts);

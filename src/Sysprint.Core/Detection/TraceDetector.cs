namespace Sysprint.Detection;

/// <summary>
/// Scores a whole trace from its analysis: the higher, the more anomalous. A trace is anomalous
/// when its score exceeds the detector's threshold; every detector learns from normal traces only
/// and its score is made of windows that can be listed as the alert's explanation.
/// </summary>
public abstract class TraceDetector
{
    public abstract string Name { get; }

    /// <summary>One line: what the score counts.</summary>
    public abstract string Description { get; }

    public abstract double Score(TraceAnalysis analysis);

    /// <summary>The detectors of the evaluation, for a model learnt from <paramref name="normalTraces"/> (trace i learnt as trace id i).</summary>
    public static IReadOnlyList<TraceDetector> Standard(SubstringModel model, IReadOnlyList<LoadedTrace> normalTraces)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(normalTraces);
        var detectors = new List<TraceDetector> { new StideDetector(2, "paper") };
        for (int k = 2; k <= SubstringModel.MaxWindow; k++)
        {
            detectors.Add(new StideDetector(k));
        }

        detectors.Add(new LfcDetector(6, 20));
        detectors.Add(new FreqDetector(6, model.Total(6)));
        detectors.Add(new ZStideDetector(model, normalTraces.Select((t, i) => (i, t.Calls))));
        detectors.Add(new CallSetDetector(model, normalTraces.Select(t => CallSetDetector.Vocabulary(t.Threads))));
        return detectors;
    }
}

/// <summary>
/// stide (Forrest et al.): the number of windows of k calls never seen in normal traces. With
/// k = 2 it is the paper's fingerprint: each unseen previous → next pair is a mismatch.
/// </summary>
public sealed class StideDetector(int window, string? name = null) : TraceDetector
{
    public int Window { get; } = window;

    public override string Name { get; } = name ?? $"stide-{window}";

    public override string Description => Window == 2 && Name == "paper"
        ? "mismatching previous → next pairs (the paper's fingerprint)"
        : $"windows of {Window} calls never seen in normal runs";

    public override double Score(TraceAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        return analysis.NovelWindows(Window);
    }
}

/// <summary>Locality frame count (Warrender, Forrest and Pearlmutter 1999): the most unseen k-windows among any L consecutive calls.</summary>
public sealed class LfcDetector(int window, int frame) : TraceDetector
{
    public override string Name => $"lfc-{window}";

    public override string Description => $"most unseen {window}-call windows within any {frame} consecutive calls";

    public override double Score(TraceAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        int best = 0;
        foreach (ThreadAnalysis thread in analysis.Threads)
        {
            int inFrame = 0;
            for (int i = 0; i < thread.Calls.Length; i++)
            {
                if (TraceAnalysis.Novel(thread, i, window))
                {
                    inFrame++;
                }

                if (i >= frame && TraceAnalysis.Novel(thread, i - frame, window))
                {
                    inFrame--;
                }

                best = Math.Max(best, inFrame);
            }
        }

        return best;
    }
}

/// <summary>
/// t-stide (Warrender et al. 1999): windows that are unseen or rare in normal runs (seen in fewer
/// than 0.001% of all normal windows) count as anomalous.
/// </summary>
public sealed class FreqDetector : TraceDetector
{
    private readonly int _window;
    private readonly double _rareBelow;

    public FreqDetector(int window, long totalWindows)
    {
        _window = window;
        _rareBelow = totalWindows * 0.00001;
    }

    public int Window => _window;

    /// <summary>A window seen fewer times than this in normal runs is rare.</summary>
    public double RareBelow => _rareBelow;

    public override string Name => $"freq-{_window}";

    public override string Description => $"windows of {_window} calls unseen or rare (< 0.001% of normal windows)";

    public override double Score(TraceAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        if (analysis.CountWindow != _window)
        {
            throw new ArgumentException($"the analysis counts windows of {analysis.CountWindow}, not {_window}", nameof(analysis));
        }

        long anomalous = 0;
        foreach (ThreadAnalysis thread in analysis.Threads)
        {
            for (int i = 0; i < thread.Calls.Length; i++)
            {
                if (TraceAnalysis.Novel(thread, i, _window) || (i + 1 >= _window && thread.Counts[i] < _rareBelow))
                {
                    anomalous++;
                }
            }
        }

        return anomalous;
    }
}

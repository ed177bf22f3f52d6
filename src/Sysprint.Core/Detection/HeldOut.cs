namespace Sysprint.Detection;

/// <summary>
/// The learnt logs held out in the order they were learnt: they are cut into <see cref="Parts"/>
/// consecutive parts, and each log of every part but the first is scored against the parts learnt
/// before it, as a new log is checked against what was learnt before it came. Scored so, learnt logs
/// differ from the logs they are checked against as much as new logs, collected later, differ from
/// the learnt ones; each log checked against all the others (leave-one-out) looks closer to them
/// than new logs do (on ADFA-LD, asking 10% of false alarms gave 19.8% on new normal logs).
/// Read from the stored window counts, so no log is read again.
/// </summary>
public static class HeldOut
{
    /// <summary>Consecutive parts the learnt logs are cut into; the first is never held out.</summary>
    public const int Parts = 10;

    /// <summary>
    /// The held-out logs, in learning order: each with its unseen-window counts and its call
    /// vocabulary's distance to the nearest one of a log learnt in an earlier part.
    /// </summary>
    /// <param name="model">The model of every learnt log, each learnt as trace <c>logs[i].Log</c>, in increasing order.</param>
    /// <param name="logs">Each learnt log's trace id in <paramref name="model"/> and its number of calls, in learning order.</param>
    /// <param name="windows">Each learnt log's own windows (<see cref="SubstringModel.ToBytes"/>), in the same order.</param>
    /// <param name="vocabularies">Each learnt log's distinct calls, ascending, in the same order.</param>
    /// <exception cref="InvalidDataException">A log's stored windows are damaged.</exception>
    public static IReadOnlyList<HeldOutLog> InLearningOrder(SubstringModel model, IReadOnlyList<(int Log, long Calls)> logs,
        IReadOnlyList<byte[]> windows, IReadOnlyList<int[]> vocabularies)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(logs);
        ArgumentNullException.ThrowIfNull(windows);
        ArgumentNullException.ThrowIfNull(vocabularies);
        if (windows.Count != logs.Count || vocabularies.Count != logs.Count)
        {
            throw new ArgumentException("one list of windows and one vocabulary per learnt log", nameof(windows));
        }

        for (int i = 1; i < logs.Count; i++)
        {
            if (logs[i].Log <= logs[i - 1].Log)
            {
                throw new ArgumentException("learnt logs are numbered in increasing order", nameof(logs));
            }
        }

        var held = new List<HeldOutLog>(logs.Count);
        int partStart = 0;
        for (int i = 0; i < logs.Count; i++)
        {
            if (i > 0 && PartOf(i, logs.Count) != PartOf(i - 1, logs.Count))
            {
                partStart = i;
            }

            if (partStart == 0)
            {
                continue;
            }

            long[] novel = model.NovelBefore(windows[i], logs[partStart].Log);
            double nearest = 1;
            for (int j = 0; j < partStart && nearest > 0; j++)
            {
                nearest = Math.Min(nearest, Jaccard(vocabularies[i], vocabularies[j]));
            }

            held.Add(new HeldOutLog(logs[i].Log, logs[i].Calls, novel, nearest));
        }

        return held;
    }

    /// <summary>
    /// As the stored overload, for traces in memory: <paramref name="learnt"/>[i] was learnt into
    /// <paramref name="model"/> as trace i, in that order (the evaluation).
    /// </summary>
    public static IReadOnlyList<HeldOutLog> InLearningOrder(SubstringModel model, IReadOnlyList<LoadedTrace> learnt)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(learnt);
        var logs = new (int, long)[learnt.Count];
        var windows = new byte[learnt.Count][];
        var vocabularies = new int[learnt.Count][];
        Parallel.For(0, learnt.Count, i =>
        {
            // The windows train stores with each log: a model of that log alone.
            var own = new SubstringModel(capacity: 1024);
            foreach (int[] thread in learnt[i].Threads)
            {
                own.Learn(thread);
            }

            logs[i] = (i, learnt[i].Calls);
            windows[i] = own.ToBytes();
            vocabularies[i] = CallSetDetector.Vocabulary(learnt[i].Threads);
        });
        return InLearningOrder(model, logs, windows, vocabularies);
    }

    /// <summary>The part (0 to <see cref="Parts"/> - 1) of the <paramref name="index"/>-th of <paramref name="count"/> logs.</summary>
    public static int PartOf(int index, int count) => (int)((long)index * Parts / count);

    /// <summary>Jaccard distance between two ascending sets of calls (0 when both are empty).</summary>
    public static double Jaccard(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int common = 0;
        int i = 0;
        int j = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j])
            {
                common++;
                i++;
                j++;
            }
            else if (a[i] < b[j])
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        int union = a.Length + b.Length - common;
        return union == 0 ? 0 : 1 - (common / (double)union);
    }
}

using Sysprint.Detection;
using Sysprint.Diagnostics;
using Sysprint.Storage;

namespace Sysprint.Engine;

/// <summary>
/// Chooses a detector's threshold from normal runs alone: every learnt log is scored as if it had
/// not been learnt (leave-one-out), and the threshold is the score that the requested share of
/// them exceeds at most. Read from the stored window counts, so no log is read again.
/// </summary>
public static class LeaveOneOut
{
    /// <summary>Each learnt log's score with <paramref name="detector"/>, as if that log alone had not been learnt.</summary>
    /// <exception cref="SysprintException">The detector's leave-one-out score cannot be read from the counts (exit 64).</exception>
    public static double[] Scores(StoredWindowModel stored, WindowCheck check, string detector, int window)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(check);
        ArgumentNullException.ThrowIfNull(detector);
        switch (detector)
        {
            case Detectors.Paper or Detectors.Stide when window <= SubstringModel.MaxWindow:
            case Detectors.ZStide:
            {
                // A log's unseen windows, once it is left out, are the windows no other log holds.
                Dictionary<int, long[]> novel = stored.Model.NovelWhenLeftOut();
                var scores = new double[stored.Logs.Count];
                for (int i = 0; i < scores.Length; i++)
                {
                    (int log, long calls) = stored.Logs[i];
                    long[]? own = novel.GetValueOrDefault(log);
                    scores[i] = detector == Detectors.ZStide
                        ? check.ZStide.Score(calls, k => own?[k] ?? 0)
                        : own?[window] ?? 0;
                }

                return scores;
            }

            case Detectors.CallSet:
                return CallSetScores(stored.Vocabularies);

            default:
                throw new SysprintException(ExitCodes.Usage,
                    $"a threshold from the learnt logs alone is available for paper, stide (windows up to {SubstringModel.MaxWindow}), zstide and callset, not for {detector}: give --threshold");
        }
    }

    // Each log's vocabulary against those of all the others: the nearest distinct vocabulary,
    // which may be the log's own when another log has the same.
    private static double[] CallSetScores(IReadOnlyList<int[]> vocabularies)
    {
        var ids = new Dictionary<int, int>();
        foreach (int[] vocabulary in vocabularies)
        {
            foreach (int call in vocabulary)
            {
                ids.TryAdd(call, ids.Count);
            }
        }

        int words = (ids.Count >> 6) + 1;
        var distinct = new Dictionary<string, (ulong[] Bits, int Size, int Logs)>(StringComparer.Ordinal);
        var keys = new string[vocabularies.Count];
        for (int i = 0; i < vocabularies.Count; i++)
        {
            keys[i] = string.Join(',', vocabularies[i]);
            if (distinct.TryGetValue(keys[i], out var known))
            {
                distinct[keys[i]] = known with { Logs = known.Logs + 1 };
                continue;
            }

            var bits = new ulong[words];
            foreach (int call in vocabularies[i])
            {
                int id = ids[call];
                bits[id >> 6] |= 1UL << (id & 63);
            }

            distinct[keys[i]] = (bits, vocabularies[i].Length, 1);
        }

        var scores = new double[vocabularies.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            (ulong[] own, int size, _) = distinct[keys[i]];
            double best = 1;
            foreach ((string key, (ulong[] bits, int otherSize, int logs)) in distinct)
            {
                if (key == keys[i] && logs == 1)
                {
                    continue;
                }

                int common = 0;
                for (int w = 0; w < words; w++)
                {
                    common += System.Numerics.BitOperations.PopCount(own[w] & bits[w]);
                }

                int union = size + otherSize - common;
                best = Math.Min(best, union == 0 ? 0 : 1 - (common / (double)union));
            }

            scores[i] = best;
        }

        return scores;
    }

    /// <summary>
    /// The smallest threshold that at most <paramref name="falseAlarmRate"/> of <paramref name="scores"/>
    /// exceed, and how many do.
    /// </summary>
    public static (double Threshold, int Above) Threshold(IReadOnlyList<double> scores, double falseAlarmRate)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count == 0)
        {
            throw new ArgumentException("no scores to choose a threshold from", nameof(scores));
        }

        double[] sorted = [.. scores];
        Array.Sort(sorted);
        int allowed = (int)Math.Floor(falseAlarmRate * sorted.Length);
        double threshold = sorted[Math.Max(0, sorted.Length - allowed - 1)];
        return (threshold, sorted.Count(s => s > threshold));
    }
}

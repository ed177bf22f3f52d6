using System.Numerics;
using System.Runtime.InteropServices;
using Sysprint.Diagnostics;
using Sysprint.Model;
using Sysprint.Parsing;

namespace Sysprint.Detection;

/// <summary>
/// Our second design: how far the set of distinct calls a trace makes is from the nearest set seen
/// in one normal trace (Jaccard distance). A program doing its usual job uses one of a few call
/// vocabularies; injected code brings calls, or drops ones, that no normal run combines that way.
/// Learns from normal traces only; an alert is explained by the calls added to and missing from the
/// nearest normal vocabulary.
/// </summary>
public sealed class CallSetDetector : Detector
{
    public const string KindName = "callset";

    /// <summary>The <see cref="Mismatch.Reason"/> of a call the log makes that the nearest normal vocabulary lacks.</summary>
    public const string Added = "call not in the nearest normal run";

    /// <summary>The <see cref="Mismatch.Reason"/> of a call of the nearest normal vocabulary the log never makes.</summary>
    public const string Missing = "call of the nearest normal run not made";

    private static readonly CallSetDetector s_instance = new();

    /// <summary>The registration.</summary>
    public static DetectorKind Registration { get; } = new(KindName, _ => s_instance, () => [s_instance]);

    public override string Name => KindName;

    public override string Kind => KindName;

    public override string Description => "Jaccard distance from the trace's distinct calls to the nearest normal trace's";

    public override bool ReadsWindowCounts => true;

    public override string? CalibrationName => KindName;

    public override DetectorScorer NewScorer(NormalRuns normal, ScorerOptions options) =>
        new Scorer(normal.Calibration(n => new Vocabularies(n.Windows, n.Vocabularies)), options);

    /// <summary>The distinct calls of a trace's threads, in ascending order.</summary>
    public static int[] Vocabulary(IEnumerable<int[]> threads)
    {
        ArgumentNullException.ThrowIfNull(threads);
        var set = new HashSet<int>();
        foreach (int[] calls in threads)
        {
            foreach (int call in calls)
            {
                set.Add(call);
            }
        }

        int[] sorted = [.. set];
        Array.Sort(sorted);
        return sorted;
    }

    public override double[] HeldOut(NormalRuns normal)
    {
        ArgumentNullException.ThrowIfNull(normal);
        return [.. normal.HeldOutLogs.Select(h => h.CallSetDistance)];
    }

    /// <summary>The distinct normal vocabularies as bitsets over the model's dense call ids; repeated sets count once.</summary>
    internal sealed class Vocabularies
    {
        private readonly SubstringModel _model;
        private readonly List<(ulong[] Bits, int Size)> _normal = [];

        public Vocabularies(SubstringModel model, IEnumerable<IReadOnlyCollection<int>> vocabularies)
        {
            _model = model;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (IReadOnlyCollection<int> vocabulary in vocabularies)
            {
                (ulong[] bits, _) = model.CallSet([[.. vocabulary]]);
                if (seen.Add(string.Join(',', bits)))
                {
                    _normal.Add((bits, PopCount(bits)));
                }
            }
        }

        /// <summary>Distinct call vocabularies learnt.</summary>
        public int Count => _normal.Count;

        /// <summary>
        /// The distance of the distinct calls <paramref name="used"/> to the nearest normal vocabulary, the
        /// calls it makes that vocabulary lacks (including calls never learnt) and the calls of it that it does not make.
        /// </summary>
        public (double Distance, int[] Added, int[] Missing) Explain(int[] used)
        {
            (double distance, int index) = Nearest(used);
            ulong[]? nearest = index < 0 ? null : _normal[index].Bits;
            var added = new List<int>();
            var usedIds = new HashSet<int>();
            foreach (int call in used)
            {
                int id = _model.IdOfCall(call);
                usedIds.Add(id);
                if (id == 0 || nearest is null || (nearest[(id - 1) >> 6] & (1UL << ((id - 1) & 63))) == 0)
                {
                    added.Add(call);
                }
            }

            var missing = new List<int>();
            if (nearest is not null)
            {
                for (int id = 1; id <= _model.CallCount; id++)
                {
                    if ((nearest[(id - 1) >> 6] & (1UL << ((id - 1) & 63))) != 0 && !usedIds.Contains(id))
                    {
                        missing.Add(_model.NumberOf(id));
                    }
                }
            }

            missing.Sort();
            return (distance, [.. added], [.. missing]);
        }

        /// <summary>The Jaccard distance of <paramref name="used"/> to the nearest normal vocabulary, and that vocabulary's index (-1: none).</summary>
        public (double Distance, int Index) Nearest(int[] used)
        {
            (ulong[] bits, int unknown) = _model.CallSet([used]);
            int size = PopCount(bits) + unknown;
            double best = 1;
            int index = -1;
            for (int v = 0; v < _normal.Count; v++)
            {
                (ulong[] normal, int normalSize) = _normal[v];
                int common = 0;
                for (int w = 0; w < bits.Length; w++)
                {
                    common += BitOperations.PopCount(bits[w] & normal[w]);
                }

                int union = size + normalSize - common;
                double distance = union == 0 ? 0 : 1 - (common / (double)union);
                if (distance < best || index < 0)
                {
                    best = distance;
                    index = v;
                }
            }

            return (best, index);
        }

        private static int PopCount(ulong[] bits)
        {
            int n = 0;
            foreach (ulong w in bits)
            {
                n += BitOperations.PopCount(w);
            }

            return n;
        }
    }

    /// <summary>Keeps each distinct call with where it first occurred and how often; the distance comes at the end.</summary>
    private sealed class Scorer(Vocabularies normal, ScorerOptions options) : DetectorScorer(options)
    {
        private readonly Dictionary<int, (long Line, long Thread, long Count)> _used = [];
        private DetectorScore? _finished;

        public override double Score => _finished?.Score ?? 0;

        public override void OnCall(in ScoredCall scored)
        {
            int number = scored.Number;
            ref (long Line, long Thread, long Count) used = ref CollectionsMarshal.GetValueRefOrAddDefault(_used, number, out bool seen);
            if (!seen)
            {
                if (_used.Count > Options.MaxCalls)
                {
                    _used.Remove(number);
                    throw new InputLimitException(
                        $"more than {Options.MaxCalls} distinct system calls in one log", RemedyKind.RaiseCallLimit);
                }

                used = (scored.Line, scored.Thread, 0);
            }

            used.Count++;
        }

        public override DetectorScore Finish()
        {
            if (_finished is not null)
            {
                return _finished;
            }

            int[] vocabulary = [.. _used.Keys];
            Array.Sort(vocabulary);
            if (!Options.Explain)
            {
                _finished = new DetectorScore(normal.Nearest(vocabulary).Distance, 0, [], false);
                return _finished;
            }

            (double distance, int[] added, int[] missing) = normal.Explain(vocabulary);
            var details = new List<Mismatch>(added.Length + missing.Length);
            long count = 0;
            foreach (int call in added)
            {
                // Where the log first makes the call, and how often it does.
                (long line, long thread, long times) = _used[call];
                details.Add(new Mismatch([call], line, thread) { Reason = Added, Count = times });
                count += times;
            }

            foreach (int call in missing)
            {
                details.Add(new Mismatch([call], 0, 0) { Reason = Missing, Count = 0 });
                count++;
            }

            _finished = new DetectorScore(distance, count, details, false);
            return _finished;
        }
    }
}

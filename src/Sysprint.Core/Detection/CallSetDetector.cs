using System.Numerics;

namespace Sysprint.Detection;

/// <summary>
/// Our second design: how far the set of distinct calls a trace makes is from the nearest set seen
/// in one normal trace (Jaccard distance). A program doing its usual job uses one of a few call
/// vocabularies; injected code brings calls, or drops ones, that no normal run combines that way.
/// Learns from normal traces only; an alert is explained by the calls added to and missing from the
/// nearest normal vocabulary (<see cref="Explain(IEnumerable{int[]})"/>).
/// </summary>
public sealed class CallSetDetector : TraceDetector
{
    private readonly SubstringModel _model;
    private readonly List<(ulong[] Bits, int Size)> _normal = [];

    /// <param name="model">The model whose calls the vocabularies use (a call it never learnt cannot be in one).</param>
    /// <param name="vocabularies">The distinct call numbers of each normal trace; repeated sets count once.</param>
    public CallSetDetector(SubstringModel model, IEnumerable<IReadOnlyCollection<int>> vocabularies)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabularies);
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

    public override string Name => "callset";

    public override string Description => "Jaccard distance from the trace's distinct calls to the nearest normal trace's";

    /// <summary>Distinct call vocabularies learnt.</summary>
    public int Vocabularies => _normal.Count;

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

    public override double Score(TraceAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        return Nearest(analysis.Trace.Threads).Distance;
    }

    /// <summary>
    /// Why the trace scored what it did: the calls it makes that the nearest normal vocabulary lacks
    /// (including calls never learnt at all) and the calls of that vocabulary it does not make.
    /// </summary>
    public (double Distance, int[] Added, int[] Missing) Explain(IEnumerable<int[]> threads) => Explain(Vocabulary(threads));

    /// <summary>As <see cref="Explain(IEnumerable{int[]})"/>, for a trace's distinct calls (<paramref name="used"/>).</summary>
    public (double Distance, int[] Added, int[] Missing) Explain(int[] used)
    {
        ArgumentNullException.ThrowIfNull(used);
        (double distance, int index) = Nearest([used]);
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

    private (double Distance, int Index) Nearest(IEnumerable<int[]> threads)
    {
        (ulong[] bits, int unknown) = _model.CallSet(threads);
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

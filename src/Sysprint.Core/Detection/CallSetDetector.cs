using System.Numerics;

namespace Sysprint.Detection;

/// <summary>
/// Our second design: how far the set of distinct calls a trace makes is from the nearest set seen
/// in one normal trace (Jaccard distance). A program doing its usual job uses one of a few call
/// vocabularies; injected code brings calls, or drops ones, that no normal run combines that way.
/// Learns from normal traces only; an alert is explained by the calls added to and missing from the
/// nearest normal vocabulary.
/// </summary>
public sealed class CallSetDetector : TraceDetector
{
    private readonly SubstringModel _model;
    private readonly List<(ulong[] Bits, int Size)> _normal = [];

    public CallSetDetector(SubstringModel model, IEnumerable<LoadedTrace> normalTraces)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(normalTraces);
        _model = model;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (LoadedTrace trace in normalTraces)
        {
            (ulong[] bits, _) = model.CallSet(trace.Threads);
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

    public override double Score(TraceAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        (ulong[] bits, int unknown) = _model.CallSet(analysis.Trace.Threads);
        int size = PopCount(bits) + unknown;
        double best = 1;
        foreach ((ulong[] normal, int normalSize) in _normal)
        {
            int common = 0;
            for (int w = 0; w < bits.Length; w++)
            {
                common += BitOperations.PopCount(bits[w] & normal[w]);
            }

            int union = size + normalSize - common;
            double distance = union == 0 ? 0 : 1 - (common / (double)union);
            best = Math.Min(best, distance);
        }

        return best;
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

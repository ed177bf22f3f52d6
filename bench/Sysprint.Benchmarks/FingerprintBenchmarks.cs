using BenchmarkDotNet.Attributes;
using Sysprint.Model;

namespace Sysprint.Benchmarks;

/// <summary>Is this window in the fingerprint? The windows of the generated log, per thread: one operation is one window.</summary>
public class FingerprintBenchmarks
{
    private const int CallCount = 65_536;
    private int[][] _grams = [];
    private Fingerprint _fingerprint = null!;

    [Params(2, 6)]
    public int Window { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _fingerprint = BenchLog.Learn(Window);
        var threads = new Dictionary<long, List<int>>();
        var grams = new List<int[]>(CallCount);
        foreach ((long thread, int number) in BenchLog.Calls(CallCount))
        {
            if (!threads.TryGetValue(thread, out List<int>? calls))
            {
                calls = [];
                threads[thread] = calls;
            }

            calls.Add(number);
            grams.Add([.. calls.TakeLast(Window)]);
        }

        _grams = [.. grams];
    }

    [Benchmark(OperationsPerInvoke = CallCount)]
    public int Contains()
    {
        int hits = 0;
        foreach (int[] gram in _grams)
        {
            if (_fingerprint.Contains(gram))
            {
                hits++;
            }
        }

        return hits;
    }
}

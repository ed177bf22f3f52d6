using BenchmarkDotNet.Attributes;
using Sysprint.Parsing;

namespace Sysprint.Benchmarks;

/// <summary>Parsing one strace line (prefix and name only): one operation is one line of the generated log.</summary>
public class StraceLineParserBenchmarks
{
    private const int LineCount = 4096;
    private byte[][] _lines = [];

    [GlobalSetup]
    public void Setup() => _lines = BenchLog.Lines(LineCount);

    [Benchmark(OperationsPerInvoke = LineCount)]
    public int Parse()
    {
        int sum = 0;
        foreach (byte[] line in _lines)
        {
            ParsedLine rec = StraceLineParser.Parse(line);
            sum += rec.Name.Length + (int)rec.Kind;
        }

        return sum;
    }
}

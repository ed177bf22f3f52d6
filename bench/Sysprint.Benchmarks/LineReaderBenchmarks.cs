using BenchmarkDotNet.Attributes;
using Sysprint.Parsing;

namespace Sysprint.Benchmarks;

/// <summary>Splitting the log into lines, the floor of every pass: one operation is one line.</summary>
public class LineReaderBenchmarks
{
    private const int LineCount = 200_000;
    private byte[] _log = [];

    [GlobalSetup]
    public void Setup()
    {
        byte[][] lines = BenchLog.Lines(LineCount);
        _log = [.. lines.SelectMany(l => l.Append((byte)'\n'))];
    }

    [Benchmark(OperationsPerInvoke = LineCount)]
    public long ReadLines()
    {
        using var reader = new LineReader(new MemoryStream(_log, writable: false), LogReadOptions.DefaultMaxLineBytes);
        long total = 0;
        while (reader.TryReadLine(out ReadOnlySpan<byte> line))
        {
            total += line.Length;
        }

        return total;
    }
}

using BenchmarkDotNet.Attributes;
using Sysprint.Mapping;
using Sysprint.Parsing;

namespace Sysprint.Benchmarks;

/// <summary>Name to number, in the order the generated log asks: one operation is one lookup.</summary>
public class SyscallTableBenchmarks
{
    private const int NameCount = 4096;
    private byte[][] _names = [];
    private SyscallTable _table = null!;

    [GlobalSetup]
    public void Setup()
    {
        _table = SyscallTable.Builtin("x86_64");
        var names = new List<byte[]>();
        foreach (byte[] line in BenchLog.Lines(NameCount * 2))
        {
            ParsedLine rec = StraceLineParser.Parse(line);
            if (rec.Kind == LineKind.Syscall && names.Count < NameCount)
            {
                names.Add(rec.Name.ToArray());
            }
        }

        _names = [.. names];
    }

    [Benchmark(OperationsPerInvoke = NameCount)]
    public int TryGetNumber()
    {
        int sum = 0;
        foreach (byte[] name in _names)
        {
            _table.TryGetNumber(name, out int number);
            sum += number;
        }

        return sum;
    }
}

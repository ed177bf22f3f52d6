using BenchmarkDotNet.Attributes;
using Sysprint.Model;
using Sysprint.Parsing;

namespace Sysprint.Benchmarks;

/// <summary>
/// The whole per-log pipeline (read, parse, name to number, per-thread windows, fingerprint) over the
/// 32 MiB generated log in memory. One operation is one log: divide by the line count for a line;
/// the allocation is per log and does not grow with it.
/// </summary>
public class PipelineBenchmarks
{
    private byte[] _log = [];
    private Fingerprint _fingerprint = null!;
    private FingerprintChecker _checker = null!;

    [GlobalSetup]
    public void Setup()
    {
        _log = BenchLog.Log;
        _fingerprint = BenchLog.Learn(2);
        _checker = new FingerprintChecker(_fingerprint);
    }

    [Benchmark]
    public long Check()
    {
        _checker.Reset();
        LogReadResult result = LogReader.Read(new MemoryStream(_log, writable: false), "bench", BenchLog.Table, new LogReadOptions(), _checker);
        return result.Syscalls + _checker.MismatchCount;
    }

    [Benchmark]
    public long Learn()
    {
        // Relearning a known log: every window is looked up, none is new (train's steady state).
        var learner = new FingerprintLearner(_fingerprint);
        LogReadResult result = LogReader.Read(new MemoryStream(_log, writable: false), "bench", BenchLog.Table, new LogReadOptions(), learner);
        return result.Syscalls;
    }

    [Benchmark]
    public long Parse()
    {
        LogReadResult result = LogReader.Read(new MemoryStream(_log, writable: false), "bench", BenchLog.Table, new LogReadOptions(), NullSink.Instance);
        return result.Syscalls;
    }

    private sealed class NullSink : ISyscallSink
    {
        public static readonly NullSink Instance = new();

        public void OnSyscall(long thread, int number, long line)
        {
        }

        public void OnThreadEnd(long thread)
        {
        }

        public void OnThreadRenamed(long oldThread, long newThread)
        {
        }
    }
}

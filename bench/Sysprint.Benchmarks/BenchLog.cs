using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Parsing;

namespace Sysprint.Benchmarks;

/// <summary>The generated log held in memory, and what the benchmarks derive from it (built once per process).</summary>
internal static class BenchLog
{
    /// <summary>Size of the in-memory log: large enough to leave the caches, small enough to build fast.</summary>
    public const int Bytes = 32 * 1024 * 1024;

    private static readonly Lazy<byte[]> s_log = new(() =>
    {
        using var memory = new MemoryStream(Bytes + (64 * 1024));
        StraceLogGenerator.Generate(StraceLogGenerator.FindSourceDirectory(), Bytes, memory);
        return memory.ToArray();
    });

    public static byte[] Log => s_log.Value;

    public static SyscallTable Table { get; } = SyscallTable.Builtin("x86_64");

    /// <summary>The lines of the log, one array each (for the per-line benchmarks).</summary>
    public static byte[][] Lines(int count)
    {
        var lines = new List<byte[]>(count);
        using var reader = new LineReader(new MemoryStream(Log, writable: false), LogReadOptions.DefaultMaxLineBytes);
        while (lines.Count < count && reader.TryReadLine(out ReadOnlySpan<byte> line))
        {
            lines.Add(line.ToArray());
        }

        return [.. lines];
    }

    /// <summary>The fingerprint of the whole log (it holds every window of it).</summary>
    public static Fingerprint Learn(int window)
    {
        var fingerprint = new Fingerprint(window);
        LogReader.Read(new MemoryStream(Log, writable: false), "bench", Table, new LogReadOptions(), new FingerprintLearner(fingerprint));
        return fingerprint;
    }

    /// <summary>The (thread, number) calls of the log, in order.</summary>
    public static (long Thread, int Number)[] Calls(int count)
    {
        var sink = new CallCollector(count);
        LogReader.Read(new MemoryStream(Log, writable: false), "bench", Table, new LogReadOptions(), sink);
        return [.. sink.Calls];
    }

    private sealed class CallCollector(int limit) : ISyscallSink
    {
        public List<(long Thread, int Number)> Calls { get; } = new(limit);

        public void OnSyscall(long thread, int number, long line)
        {
            if (Calls.Count < limit)
            {
                Calls.Add((thread, number));
            }
        }

        public void OnThreadEnd(long thread)
        {
        }

        public void OnThreadRenamed(long oldThread, long newThread)
        {
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Parsing;

namespace Sysprint.Benchmarks;

/// <summary>Times the stages of the pipeline on a file in one process (no start-up, no store): where the time goes.</summary>
internal static class PipelineTimer
{
    private static string? s_only;

    public static void Run(string path, int runs, string? only = null)
    {
        s_only = only;
        SyscallTable table = SyscallTable.Builtin("x86_64");
        var options = new LogReadOptions();
        var fingerprint = new Fingerprint(2);
        LogReader.Read(path, table, options, new FingerprintLearner(fingerprint));
        var checker = new FingerprintChecker(fingerprint);
        long bytes = new FileInfo(path).Length;
        for (int run = 0; run < runs; run++)
        {
            Time("read", bytes, () =>
            {
                // The floor: the reads alone, and the newlines counted by the runtime's vectorised Count.
                using Stream stream = LogReader.OpenLog(path);
                byte[] buffer = new byte[LineReader.DefaultBufferSize];
                long n = 0;
                int got;
                while ((got = stream.Read(buffer, 0, buffer.Length)) > 0)
                {
                    n += buffer.AsSpan(0, got).Count((byte)'\n');
                }

                return n;
            });
            Time("lines", bytes, () =>
            {
                using Stream stream = LogReader.OpenLog(path);
                using var reader = new LineReader(stream, options.MaxLineBytes, options.BufferSize);
                long n = 0;
                while (reader.TryReadLine(out _))
                {
                    n++;
                }

                return n;
            });
            Time("parse", bytes, () => LogReader.Read(path, table, options, new NullSink()).Syscalls);
            Time("check", bytes, () =>
            {
                checker.Reset();
                return LogReader.Read(path, table, options, checker).Syscalls;
            });
            Time("learn", bytes, () => LogReader.Read(path, table, options, new FingerprintLearner(fingerprint)).Syscalls);
        }
    }

    private static void Time(string what, long bytes, Func<long> body)
    {
        if (s_only is not null && s_only != what)
        {
            return;
        }

        // CPU time as well as wall time: on a busy machine the first is the steadier measure.
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        long count = body();
        double s = clock.Elapsed.TotalSeconds;
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what,-6} wall {s:F3} s {bytes / s / 1e6,6:F0} MB/s | cpu {cpu:F3} s {bytes / cpu / 1e6,6:F0} MB/s {count / cpu / 1e6,6:F1} M/s ({count} items)"));
    }

    private sealed class NullSink : ISyscallSink
    {
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

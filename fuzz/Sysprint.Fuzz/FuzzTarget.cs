using System.Diagnostics.CodeAnalysis;
using Sysprint.Diagnostics;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Parsing;

namespace Sysprint.Fuzz;

/// <summary>
/// One reader under test. Each input is read three times, and anything but a clean result or a
/// <see cref="SysprintException"/> (a located error, exit 65/66) is a finding:
/// <list type="number">
/// <item>lenient (<c>--skip-malformed --learn-names</c>), default buffer, learning a fingerprint;</item>
/// <item>the same with a 16-to-64-byte buffer, checking the log against that fingerprint: the
/// calls handed over must be identical, and a log must pass the fingerprint built from it;</item>
/// <item>strict, with a line limit small enough to be hit.</item>
/// </list>
/// </summary>
internal sealed class FuzzTarget
{
    public static readonly string[] Readers = ["strace", "nttrace", "adfa", "unm", "detect"];

    private readonly LogFormat _format;

    private FuzzTarget(LogFormat format)
    {
        _format = format;
    }

    public static bool TryParseReader(string name, [NotNullWhen(true)] out FuzzTarget? target)
    {
        target = name switch
        {
            "strace" => new FuzzTarget(LogFormat.Strace),
            "nttrace" => new FuzzTarget(LogFormat.NtTrace),
            "adfa" => new FuzzTarget(LogFormat.Adfa),
            "unm" => new FuzzTarget(LogFormat.Unm),
            "detect" => new FuzzTarget(LogFormat.Auto),
            _ => null,
        };
        return target is not null;
    }

    /// <summary>Reads <paramref name="input"/> the three ways; returns what happened, throws on a finding.</summary>
    public string Run(byte[] input)
    {
        SyscallTable table = SyscallTable.Builtin("x86_64");
        var lenient = new LogReadOptions { Format = _format, SkipMalformed = true, LearnNames = true };
        var fingerprint = new Fingerprint(2);
        var learnt = new Recorder(new FingerprintLearner(fingerprint));
        LogReadResult? first = Read(input, table, lenient, learnt, out string firstOutcome);

        var checker = new FingerprintChecker(fingerprint);
        var checkedCalls = new Recorder(checker);
        LogReadOptions small = lenient with { BufferSize = 16 + (input.Length % 49) };
        // A table of its own: one shared with the first pass would already know the names that pass
        // learnt, and a "[60] x(" line then reads as x's learnt number instead of the 60 it states.
        LogReadResult? second = Read(input, SyscallTable.Builtin("x86_64"), small, checkedCalls, out string secondOutcome);

        if (firstOutcome != secondOutcome || learnt.Digest != checkedCalls.Digest || learnt.Events != checkedCalls.Events)
        {
            throw new InvalidOperationException(
                $"buffer size {small.BufferSize} changed the result: {firstOutcome} ({learnt.Events} events, digest {learnt.Digest:X16}) vs {secondOutcome} ({checkedCalls.Events} events, digest {checkedCalls.Digest:X16})");
        }

        if (first is not null && second is not null
            && (first.Syscalls != second.Syscalls || first.Lines != second.Lines || first.SkippedLines != second.SkippedLines
                || first.ForeignLines != second.ForeignLines || first.Format != second.Format || first.FirstProgram != second.FirstProgram))
        {
            throw new InvalidOperationException("buffer size changed the counts or the format of the result");
        }

        if (first is not null && checker.MismatchCount != 0)
        {
            throw new InvalidOperationException($"a log fails the fingerprint learnt from it: {checker.MismatchCount} mismatches");
        }

        var strict = new LogReadOptions { Format = _format, MaxLineBytes = 256 + (input.Length % 1024) };
        Read(input, SyscallTable.Builtin("x86_64"), strict, new Recorder(null), out string strictOutcome);
        return $"lenient: {firstOutcome}; strict: {strictOutcome}";
    }

    private static LogReadResult? Read(byte[] input, SyscallTable table, LogReadOptions options, ISyscallSink sink, out string outcome)
    {
        using var stream = new MemoryStream(input, writable: false);
        try
        {
            LogReadResult result = LogReader.Read(stream, "fuzz.log", table, options, sink);
            outcome = $"{result.Format} {result.Syscalls} calls in {result.Lines} lines, {result.SkippedLines} skipped";
            return result;
        }
        catch (MalformedInputException e)
        {
            if (e.Line < 1 || e.Column < 1 || e.Path != "fuzz.log" || !e.Message.StartsWith($"fuzz.log:{e.Line}:{e.Column}: ", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"malformed input reported without a proper location: {e.Message}", e);
            }

            outcome = $"malformed at {e.Line}:{e.Column}";
            return null;
        }
        catch (SysprintException e) when (e.ExitCode is ExitCodes.MalformedInput or ExitCodes.InputMissing)
        {
            outcome = $"exit {e.ExitCode}";
            return null;
        }
    }

    /// <summary>Forwards every event to a model and keeps an order-sensitive digest of them.</summary>
    private sealed class Recorder(ISyscallSink? next) : ISyscallSink
    {
        // SYSPRINT_FUZZ_TRACE=1 prints every event (replay mode), to see where two readings part.
        private static readonly bool s_trace = Environment.GetEnvironmentVariable("SYSPRINT_FUZZ_TRACE") == "1";

        public ulong Digest { get; private set; } = 14695981039346656037UL;

        public long Events { get; private set; }

        public void OnSyscall(long thread, int number, long line)
        {
            Mix(1, thread, number, line);
            next?.OnSyscall(thread, number, line);
        }

        public void OnThreadEnd(long thread)
        {
            Mix(2, thread, 0, 0);
            next?.OnThreadEnd(thread);
        }

        public void OnThreadRenamed(long oldThread, long newThread)
        {
            Mix(3, oldThread, 0, newThread);
            next?.OnThreadRenamed(oldThread, newThread);
        }

        private void Mix(int kind, long a, int b, long c)
        {
            if (s_trace)
            {
                Console.Error.WriteLine($"{(kind == 1 ? "call" : kind == 2 ? "end" : "rename")} {a} {b} {c}");
            }

            Events++;
            ulong h = Digest;
            h = (h ^ (ulong)kind) * 1099511628211UL;
            h = (h ^ (ulong)a) * 1099511628211UL;
            h = (h ^ (ulong)(uint)b) * 1099511628211UL;
            h = (h ^ (ulong)c) * 1099511628211UL;
            Digest = h;
        }
    }
}

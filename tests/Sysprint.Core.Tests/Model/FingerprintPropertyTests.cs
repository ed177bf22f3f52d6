using System.Globalization;
using System.Text;
using CsCheck;
using Sysprint.Core.Tests.Support;
using Sysprint.Mapping;
using Sysprint.Model;

namespace Sysprint.Core.Tests.Model;

/// <summary>The invariants of learning and checking, over random multi-thread interleavings.</summary>
public sealed class FingerprintPropertyTests
{
    /// <summary>A call (thread 1..4, number 0..40) or, one time in ten, that thread's exit (number -1).</summary>
    private static readonly Gen<(int Thread, int Number)> s_event =
        Gen.Select(Gen.Int[1, 4], Gen.Frequency((9, Gen.Int[0, 40]), (1, Gen.Const(-1))));

    private static readonly Gen<(int Thread, int Number)[]> s_trace = s_event.Array[0, 150];

    private static readonly Gen<int> s_window = Gen.Int[2, 6];

    [Fact]
    public void A_trace_always_passes_the_fingerprint_learnt_from_it()
    {
        Gen.Select(s_window, s_trace).Sample((window, trace) =>
        {
            var fingerprint = new Fingerprint(window);
            Play(new FingerprintLearner(fingerprint), trace);
            var checker = new FingerprintChecker(fingerprint);

            Play(checker, trace);

            Assert.Equal(0, checker.MismatchCount);
        }, iter: 300);
    }

    [Fact]
    public void Learning_is_order_free()
    {
        Gen.Select(s_window, s_trace, s_trace).Sample((window, a, b) =>
        {
            var ab = new Fingerprint(window);
            var ba = new Fingerprint(window);

            Learn(ab, a);
            Learn(ab, b);
            Learn(ba, b);
            Learn(ba, a);

            Assert.Equal(Text(ab), Text(ba));
            Assert.Equal(ab.TransitionCount, ba.TransitionCount);
        }, iter: 300);
    }

    [Fact]
    public void Learning_is_idempotent()
    {
        Gen.Select(s_window, s_trace).Sample((window, trace) =>
        {
            var fingerprint = new Fingerprint(window);
            Learn(fingerprint, trace);
            string before = Text(fingerprint);
            var again = new FingerprintLearner(fingerprint);

            Play(again, trace);

            Assert.Empty(again.NewGrams);
            Assert.Equal(before, Text(fingerprint));
        }, iter: 300);
    }

    [Fact]
    public void A_trace_passes_and_a_foreign_call_fails_after_learning_in_any_order()
    {
        Gen.Select(s_window, s_trace, s_trace).Sample((window, a, b) =>
        {
            var fingerprint = new Fingerprint(window);
            Learn(fingerprint, a);
            Learn(fingerprint, b);
            var checker = new FingerprintChecker(fingerprint);

            Play(checker, a);
            checker.EndAllThreads();
            Play(checker, b);
            long clean = checker.MismatchCount;
            checker.OnSyscall(1, 999, 0);

            Assert.Equal(0, clean);
            Assert.Equal(1, checker.MismatchCount);
        }, iter: 200);
    }

    [Fact]
    public void Strace_text_of_any_prefix_style_reads_back_as_the_calls_it_was_written_from()
    {
        SyscallTable table = SyscallTable.Builtin("x86_64");
        var style = Gen.Select(Gen.Int[0, 2], Gen.Int[0, 5], Gen.Bool, Gen.Bool);
        var trace = s_trace.Where(t => Array.Exists(t, e => e.Number >= 0));

        Gen.Select(style, trace).Sample((s, calls) =>
        {
            var (pidStyle, timeStyle, numbers, durations) = s;
            var (text, expected) = Render(table, calls, pidStyle, timeStyle, numbers, durations);

            var (_, sink) = Logs.ReadText(text, table: table);

            Assert.Equal(expected, sink.Events);
        }, iter: 300);
    }

    private static void Play(GramTracker tracker, (int Thread, int Number)[] trace)
    {
        for (int i = 0; i < trace.Length; i++)
        {
            var (thread, number) = trace[i];
            if (number < 0)
            {
                tracker.OnThreadEnd(thread);
            }
            else
            {
                tracker.OnSyscall(thread, number, i + 1);
            }
        }
    }

    /// <summary>Learns one trace as one log: threads end at the log's end.</summary>
    private static void Learn(Fingerprint fingerprint, (int Thread, int Number)[] trace) =>
        Play(new FingerprintLearner(fingerprint), trace);

    private static string Text(Fingerprint fingerprint) =>
        string.Join(',', fingerprint.Grams().Select(g => Fingerprint.FormatGram(g)));

    /// <summary>Writes the trace as strace would with the given options, and the events a sink should receive.</summary>
    private static (string Text, List<string> Events) Render(
        SyscallTable table, (int Thread, int Number)[] trace, int pidStyle, int timeStyle, bool numbers, bool durations)
    {
        var text = new StringBuilder();
        var events = new List<string>();
        for (int i = 0; i < trace.Length; i++)
        {
            var (thread, number) = trace[i];
            long pid = pidStyle == 0 ? 0 : 1000 + thread;
            string prefix = pidStyle switch
            {
                1 => string.Create(CultureInfo.InvariantCulture, $"{pid,-5} "),
                2 => string.Create(CultureInfo.InvariantCulture, $"[pid {pid,5}] "),
                _ => "",
            };
            prefix += timeStyle switch
            {
                1 => "12:34:56 ",
                2 => "12:34:56.123456 ",
                3 => "1795655591.694168 ",
                4 => "     0.000123 ",
                5 => "12:34:56 (+     0.000133) ",
                _ => "",
            };
            if (number < 0)
            {
                text.Append(prefix).Append("+++ exited with 0 +++\n");
                events.Add($"end {pid}");
                continue;
            }

            string name = table.NameOf(number);
            int stated = table.TryGetNumber(name, out int known) ? known : number;
            if (numbers)
            {
                prefix += string.Create(CultureInfo.InvariantCulture, $"[{stated,4}] ");
            }

            text.Append(prefix).Append(name).Append("(3, \"a) = 1, (\", 7)").Append(' ', Math.Max(1, 40 - prefix.Length - name.Length - 17))
                .Append("= 0").Append(durations ? " <0.000012>\n" : "\n");
            events.Add(string.Create(CultureInfo.InvariantCulture, $"call {pid} {stated} @{i + 1}"));
        }

        return (text.ToString(), events);
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using CsCheck;
using Sysprint.Cli.Tests.Support;
using Sysprint.Detection;
using Sysprint.Engine;
using Sysprint.Evaluation;
using Sysprint.Mapping;
using Sysprint.Parsing;

namespace Sysprint.Cli.Tests.Commands;

/// <summary>
/// <c>check</c> deploys exactly what <c>eval</c> measures: for random normal and test logs (several
/// threads interleaved as <c>strace -f</c> writes them), every registered detector gives each test
/// log the same score through <c>train</c> + <c>check</c> (a real store, the log streamed) as through
/// the evaluation (the logs learnt in memory, each trace scored whole), so the same verdict at every
/// threshold. Needs no data set.
/// </summary>
[Trait("Speed", "slow")]
public sealed class CheckMatchesEvalPropertyTests : IDisposable
{
    // Normal runs use the first six calls; test runs may also make the last two, never learnt.
    private static readonly string[] s_calls = ["read", "write", "close", "fstat", "mmap", "brk", "socket", "connect"];

    private static readonly Gen<int[]> s_normalThread = Gen.Int[0, 5].Array[1, 24];

    private static readonly Gen<int[]> s_testThread = Gen.Frequency((6, Gen.Int[0, 5]), (1, Gen.Int[6, 7])).Array[1, 24];

    /// <summary>A log: its threads' calls, and the order the threads' lines interleave in (a thread index per line).</summary>
    private static Gen<Log> LogOf(Gen<int[]> thread) =>
        thread.Array[1, 3].SelectMany(threads => Gen.Int[0, int.MaxValue].Select(seed => new Log(threads, seed)));

    private static readonly Gen<Case> s_case =
        Gen.Select(Gen.Int[2, 7], LogOf(s_normalThread).Array[1, 5], LogOf(s_testThread).Array[1, 4])
            .Select((window, normal, test) => new Case(window, Distinct(normal), test));

    private readonly CliSandbox _cli = new();
    private int _case;

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Every_detector_gives_each_log_the_same_score_and_verdict_in_check_as_in_eval()
    {
        s_case.Sample(Holds, iter: 40, threads: 1);
    }

    private void Holds(Case c)
    {
        string dir = $"case{++_case}";
        string db = _cli.Db($"{dir}/sysprint.db");
        string[] normal = [.. c.Normal.Select((log, i) => _cli.Write($"{dir}/normal/{i}.strace", log.Strace(100 * (i + 1))))];
        string[] test = [.. c.Test.Select((log, i) => _cli.Write($"{dir}/test/{i}.strace", log.Strace(5000 + (100 * i))))];
        _cli.RunOk(["train", "--db", db, "--window", c.Window.ToString(CultureInfo.InvariantCulture), .. normal]);

        var detectors = new List<Detector>();
        foreach (DetectorKind kind in Detectors.Kinds)
        {
            if (kind.Name != PaperDetector.KindName || c.Window == 2)
            {
                detectors.Add(kind.ForProfile(c.Window));
            }
        }

        EvalResult eval = Evaluator.Run(
            EvalInputs.FromPaths(normal, test, test), SyscallTable.Builtin("x86_64"), new LogReadOptions(), detectors);
        for (int d = 0; d < detectors.Count; d++)
        {
            double[] measured = eval.Detectors[d].NormalScores;

            // A threshold at one of the measured scores: the verdict turns on the strict '>' there.
            double threshold = Math.Max(0, measured[c.Test.Length / 2]);
            CliResult check = _cli.Run(["check", "--db", db, "--detector", detectors[d].Kind, "--json",
                "--threshold", threshold.ToString("R", CultureInfo.InvariantCulture), .. test]);
            Assert.True(check.Exit is 0 or 1, check.ToString());
            string[] lines = check.OutLines;
            Assert.Equal(test.Length, lines.Length);
            for (int t = 0; t < test.Length; t++)
            {
                using JsonDocument json = JsonDocument.Parse(lines[t]);
                double score = json.RootElement.GetProperty("score").GetDouble();
                string because = $"{detectors[d].Kind} on window {c.Window}, test log {t} of {c}";
                Assert.True(measured[t] == score, $"{because}: eval {measured[t]:R}, check {score:R}");
                Assert.True((measured[t] > threshold ? "anomalous" : "normal") == json.RootElement.GetProperty("verdict").GetString(), because);
            }
        }
    }

    // train learns a log's content once, and eval a trace's calls once: logs with the same threads
    // (however interleaved) would be one trace to eval and two logs to train.
    private static Log[] Distinct(Log[] logs)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return [.. logs.Where(l => seen.Add(string.Join('|', l.Threads.Select(t => string.Join(',', t)).Order(StringComparer.Ordinal))))];
    }

    private sealed record Case(int Window, Log[] Normal, Log[] Test)
    {
        public override string ToString() =>
            $"normal [{string.Join("; ", Normal.Select(l => l.ToString()))}], test [{string.Join("; ", Test.Select(l => l.ToString()))}]";
    }

    private sealed record Log(int[][] Threads, int Seed)
    {
        /// <summary>The log as <c>strace -f</c> writes it: pids from <paramref name="firstPid"/>, lines interleaved, each thread's exit after its last call.</summary>
        public string Strace(int firstPid)
        {
            var random = new Random(Seed);
            var next = new int[Threads.Length];
            var text = new StringBuilder();
            int left = Threads.Sum(t => t.Length);
            while (left > 0)
            {
                int t = random.Next(Threads.Length);
                if (next[t] == Threads[t].Length)
                {
                    continue;
                }

                int pid = firstPid + t;
                text.Append(CultureInfo.InvariantCulture, $"{pid}  {s_calls[Threads[t][next[t]++]]}() = 0\n");
                left--;
                if (next[t] == Threads[t].Length)
                {
                    text.Append(CultureInfo.InvariantCulture, $"{pid}  +++ exited with 0 +++\n");
                }
            }

            return text.ToString();
        }

        public override string ToString() => string.Join(" / ", Threads.Select(t => string.Join(' ', t.Select(c => s_calls[c]))));
    }
}

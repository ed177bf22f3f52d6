using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Sysprint.Detection;
using Sysprint.Mapping;
using Sysprint.Parsing;

namespace Sysprint.Evaluation;

/// <summary>
/// Learns normal logs, then scores every normal and attack log with every detector. Logs are read
/// in parallel; learning is one pass; scoring reads each trace through the model once and lets
/// every detector score that one analysis.
/// </summary>
public static class Evaluator
{
    /// <summary>The window whose training counts frequency-aware detectors read.</summary>
    public const int CountWindow = 6;

    public static EvalResult Run(EvalInputs inputs, SyscallTable table, LogReadOptions options,
        Func<SubstringModel, IReadOnlyList<LoadedTrace>, IReadOnlyList<TraceDetector>>? detectors = null, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(options);

        var stopwatch = Stopwatch.StartNew();
        progress?.Report($"reading {inputs.Train.Count + inputs.Normal.Count + inputs.Attack.Count} logs");
        LoadedTrace[] train = Distinct(LoadAll(inputs.Train.Select(p => new LabelledLog(p, null)).ToList(), table, options));
        LoadedTrace[] normal = LoadAll(inputs.Normal, table, options);
        LoadedTrace[] attack = LoadAll(inputs.Attack, table, options);
        TimeSpan load = stopwatch.Elapsed;

        stopwatch.Restart();
        progress?.Report($"learning {train.Length} logs");
        var model = new SubstringModel();
        var convergence = new List<(int, int, int)>(train.Length);
        for (int t = 0; t < train.Length; t++)
        {
            foreach (int[] thread in train[t].Threads)
            {
                model.Learn(thread, t);
            }

            convergence.Add((convergence.Count + 1, model.Distinct(2), model.Distinct(6)));
        }

        model.Freeze();
        TimeSpan learn = stopwatch.Elapsed;

        stopwatch.Restart();
        progress?.Report($"scoring {normal.Length + attack.Length} logs");
        IReadOnlyList<TraceDetector> all = (detectors ?? TraceDetector.Standard)(model, train);

        double[][] normalScores = ScoreAll(normal, model, all);
        double[][] attackScores = ScoreAll(attack, model, all);
        var results = new DetectorResult[all.Count];
        Parallel.For(0, all.Count, d =>
        {
            double[] n = [.. normalScores.Select(s => s[d])];
            double[] a = [.. attackScores.Select(s => s[d])];
            results[d] = new DetectorResult(all[d].Name, all[d].Description, n, a, Roc.Of(n, a));
        });

        TimeSpan score = stopwatch.Elapsed;
        string[] kinds = [.. inputs.Attack.Select(a => a.Kind ?? "attack").Distinct().Order(StringComparer.Ordinal)];
        return new EvalResult(inputs, Sum(train), Sum(normal), Sum(attack), results, kinds, convergence, load, learn, score);
    }

    private static long Sum(LoadedTrace[] traces) => traces.Sum(t => t.Calls);

    // As 'train' does, a learnt trace repeated verbatim is learnt once: the evaluation then scores
    // exactly what 'check' deploys (zstide's leave-one-out calibration counts each trace once).
    private static LoadedTrace[] Distinct(LoadedTrace[] traces)
    {
        var seen = new HashSet<LoadedTrace>(SameCalls.Instance);
        return [.. traces.Where(seen.Add)];
    }

    /// <summary>Traces are the same when their threads hold the same calls in the same order.</summary>
    private sealed class SameCalls : IEqualityComparer<LoadedTrace>
    {
        public static readonly SameCalls Instance = new();

        public bool Equals(LoadedTrace? x, LoadedTrace? y)
        {
            if (x is null || y is null || x.Threads.Length != y.Threads.Length)
            {
                return ReferenceEquals(x, y);
            }

            for (int t = 0; t < x.Threads.Length; t++)
            {
                if (!x.Threads[t].AsSpan().SequenceEqual(y.Threads[t]))
                {
                    return false;
                }
            }

            return true;
        }

        public int GetHashCode(LoadedTrace obj)
        {
            var hash = new HashCode();
            foreach (int[] calls in obj.Threads)
            {
                hash.Add(calls.Length);
                hash.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(calls.AsSpan()));
            }

            return hash.ToHashCode();
        }
    }

    private static LoadedTrace[] LoadAll(IReadOnlyList<LabelledLog> logs, SyscallTable table, LogReadOptions options)
    {
        var traces = new LoadedTrace[logs.Count];
        // Names learnt while reading in parallel would race on the table; number logs learn none.
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
        if (options.Format is not (LogFormat.Adfa or LogFormat.Unm) && (options.LearnNames == true || options.Format is LogFormat.NtTrace))
        {
            parallel.MaxDegreeOfParallelism = 1;
        }

        try
        {
            Parallel.For(0, logs.Count, parallel, i => traces[i] = TraceLoader.Load(logs[i].Path, logs[i].Kind, table, options));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // A malformed or unreadable log is the caller's error (exit 65/66, located), not an
            // internal one: rethrow what the reader threw, as a sequential read would.
            ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }

        return traces;
    }

    private static double[][] ScoreAll(LoadedTrace[] traces, SubstringModel model, IReadOnlyList<TraceDetector> detectors)
    {
        var scores = new double[traces.Length][];
        Parallel.For(0, traces.Length, i =>
        {
            TraceAnalysis analysis = TraceAnalysis.Of(traces[i], model, CountWindow);
            var row = new double[detectors.Count];
            for (int d = 0; d < detectors.Count; d++)
            {
                row[d] = detectors[d].Score(analysis);
            }

            scores[i] = row;
        });
        return scores;
    }
}

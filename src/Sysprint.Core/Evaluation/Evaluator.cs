using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Sysprint.Detection;
using Sysprint.Mapping;
using Sysprint.Parsing;

namespace Sysprint.Evaluation;

/// <summary>
/// Learns normal logs, then scores every normal and attack log with every detector. Logs are read
/// in parallel; learning is one pass; scoring reads each trace through the model once and feeds
/// each call to every detector's scorer: the same scorers check drives, so check deploys exactly
/// what the evaluation measured.
/// </summary>
public static class Evaluator
{
    /// <summary>The window whose training counts frequency-aware detectors read.</summary>
    public const int CountWindow = ScoredCall.CountWindow;

    /// <param name="detectors">The detectors to measure; null: every registered one's variants (<see cref="Engine.Detectors.Evaluated"/>).</param>
    public static EvalResult Run(EvalInputs inputs, SyscallTable table, LogReadOptions options,
        IReadOnlyList<Detector>? detectors = null, IProgress<string>? progress = null)
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
        IReadOnlyList<Detector> all = detectors ?? Engine.Detectors.Evaluated();
        NormalRuns runs = Learnt(model, train);
        double[][] normalScores = ScoreAll(normal, runs, all);
        double[][] attackScores = ScoreAll(attack, runs, all);
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
            // A malformed or unreadable log is the caller's error (MalformedInput or InputMissing, located), not an
            // internal one: rethrow what the reader threw, as a sequential read would.
            ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }

        return traces;
    }

    /// <summary>What the detectors learn from: the model (trace i learnt as trace id i), each trace's length and distinct calls.</summary>
    public static NormalRuns Learnt(SubstringModel model, IReadOnlyList<LoadedTrace> train)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        return new NormalRuns(null, model, [.. train.Select((t, i) => (i, t.Calls))], [.. train.Select(t => CallSetDetector.Vocabulary(t.Threads))],
            () => HeldOut.InLearningOrder(model, train));
    }

    /// <summary>Each trace's score with each detector (no explanations).</summary>
    public static double[][] ScoreAll(IReadOnlyList<LoadedTrace> traces, NormalRuns runs, IReadOnlyList<Detector> detectors)
    {
        ArgumentNullException.ThrowIfNull(traces);
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(detectors);
        var scores = new double[traces.Count][];
        Parallel.For(0, traces.Count, i => scores[i] = Score(traces[i], runs, detectors));
        return scores;
    }

    /// <summary>
    /// One trace's score with each detector: each call is read through the window counts once
    /// (<see cref="SubstringModel.Next"/>) and fed to every detector's scorer, thread after thread.
    /// </summary>
    public static double[] Score(LoadedTrace trace, NormalRuns runs, IReadOnlyList<Detector> detectors)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(detectors);
        SubstringModel model = runs.Windows;
        var scorers = new DetectorScorer[detectors.Count];
        for (int d = 0; d < scorers.Length; d++)
        {
            scorers[d] = detectors[d].NewScorer(runs, ScorerOptions.ScoreOnly);
        }

        var cursor = new WindowCursor();
        for (int t = 0; t < trace.Threads.Length; t++)
        {
            int[] calls = trace.Threads[t];
            cursor.Reset();
            for (int i = 0; i < calls.Length; i++)
            {
                int longest = model.Next(cursor, calls[i], CountWindow, out int count);
                int from = Math.Max(0, i + 1 - SubstringModel.MaxWindow);
                var call = ScoredCall.FromWindowCounts(t, 0, i + 1, calls.AsSpan(from, i + 1 - from), longest, count);
                foreach (DetectorScorer scorer in scorers)
                {
                    scorer.OnCall(call);
                }
            }

            foreach (DetectorScorer scorer in scorers)
            {
                scorer.OnThreadEnd(t);
            }
        }

        var row = new double[scorers.Length];
        for (int d = 0; d < row.Length; d++)
        {
            row[d] = scorers[d].Finish().Score;
        }

        return row;
    }
}

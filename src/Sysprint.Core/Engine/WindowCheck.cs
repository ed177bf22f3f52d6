using Sysprint.Detection;
using Sysprint.Diagnostics;
using Sysprint.Model;
using Sysprint.Storage;

namespace Sysprint.Engine;

/// <summary>
/// The window detectors of <c>check</c> on one profile's stored window model: zstide, freq and
/// callset score a whole log as the evaluation does, and every score is explained by the windows
/// or calls that make it up.
/// </summary>
public sealed class WindowCheck
{
    /// <summary>Distinct explanations kept per log; beyond, they are counted only.</summary>
    private const int MaxDetails = FingerprintChecker.MaxDistinctMismatches;

    private readonly SubstringModel _model;
    private readonly ZStideDetector _zstide;
    private readonly FreqDetector _freq;
    private readonly CallSetDetector _callset;

    /// <summary>
    /// The window model of <paramref name="profile"/>. With a <paramref name="verifier"/>
    /// (<c>--trust</c>), the profile's seal must cover the window counts as they are (exit 77); a
    /// profile learnt partly without windows is refused (exit 66).
    /// </summary>
    public static WindowCheck Load(IFingerprintStore store, ProfileInfo profile, Integrity.SealVerifier? verifier)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(profile);
        StoredWindowModel stored = store.LoadWindowModel(profile);
        var check = new WindowCheck(stored, store.Location, profile.Name);
        verifier?.VerifyWindows(store, profile.Name, stored);
        return check;
    }

    public WindowCheck(StoredWindowModel stored, string location, string profile)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (stored.LogsWithoutWindows > 0 || stored.Logs.Count == 0)
        {
            string why = stored.Logs.Count == 0 && stored.LogsWithoutWindows == 0
                ? "has learnt nothing yet"
                : $"holds {stored.LogsWithoutWindows} log(s) learnt without window counts (by a sysprint before schema 3, or imported from an export without them)";
            throw new SysprintException(ExitCodes.InputMissing,
                $"{location}: profile '{profile}' {why}, so the window detectors (zstide, freq, callset) cannot use it; learn its normal logs again into a new profile with 'sysprint train --profile NAME'");
        }

        _model = stored.Model;
        _zstide = new ZStideDetector(_model, stored.Logs.Select(l => (l.Log, l.Calls)));
        _freq = new FreqDetector(Evaluation.Evaluator.CountWindow, _model.Total(Evaluation.Evaluator.CountWindow));
        _callset = new CallSetDetector(_model, stored.Vocabularies);
    }

    /// <summary>Scores a recorded log with <paramref name="detector"/>, with the windows or calls behind the score.</summary>
    public WindowScore Score(string detector, RecordedTrace recorded)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        (LoadedTrace trace, long[][] lines, long[] threads) = recorded;
        TraceAnalysis analysis = TraceAnalysis.Of(trace, _model, Evaluation.Evaluator.CountWindow);
        return detector switch
        {
            Detectors.ZStide => Explained(_zstide.Score(analysis), analysis, lines, threads, rare: false),
            Detectors.Freq => Explained(_freq.Score(analysis), analysis, lines, threads, rare: true),
            Detectors.CallSet => CallSet(trace, lines, threads),
            _ => throw new ArgumentException($"'{detector}' is not a window detector", nameof(detector)),
        };
    }

    // Each call where a window ending there was never seen is explained by the shortest such window
    // (the seen part plus the call that broke it); with freq, also the rare 6-windows.
    private WindowScore Explained(double score, TraceAnalysis analysis, long[][] lines, long[] threads, bool rare)
    {
        var byWindow = new Dictionary<string, Mismatch>(StringComparer.Ordinal);
        var details = new List<Mismatch>();
        long count = 0;
        bool truncated = false;
        int window = Evaluation.Evaluator.CountWindow;
        for (int t = 0; t < analysis.Threads.Count; t++)
        {
            ThreadAnalysis thread = analysis.Threads[t];
            for (int i = 0; i < thread.Calls.Length; i++)
            {
                int longest = thread.Longest[i];
                int[]? gram = null;
                string? reason = null;
                if (longest < Math.Min(SubstringModel.MaxWindow, i + 1) && (!rare || TraceAnalysis.Novel(thread, i, window)))
                {
                    gram = thread.Calls[(i - longest)..(i + 1)];
                }
                else if (rare && i + 1 >= window && thread.Counts[i] < _freq.RareBelow)
                {
                    gram = thread.Calls[(i - window + 1)..(i + 1)];
                    reason = "rare";
                }

                if (gram is null)
                {
                    continue;
                }

                count++;
                string key = (reason ?? "") + string.Join(',', gram);
                if (byWindow.TryGetValue(key, out Mismatch? seen))
                {
                    seen.Count++;
                }
                else if (details.Count < MaxDetails)
                {
                    var mismatch = new Mismatch(gram, lines[t][i], threads[t]) { Reason = reason };
                    byWindow[key] = mismatch;
                    details.Add(mismatch);
                }
                else
                {
                    truncated = true;
                }
            }
        }

        return new WindowScore(score, count, details, truncated);
    }

    private WindowScore CallSet(LoadedTrace trace, long[][] lines, long[] threads)
    {
        (double distance, int[] added, int[] missing) = _callset.Explain(trace.Threads);
        var details = new List<Mismatch>();
        long count = 0;
        foreach (int call in added)
        {
            // Where the log first makes the call, and how often it does.
            (long line, long thread, long occurrences) = (long.MaxValue, 0, 0);
            for (int t = 0; t < trace.Threads.Length; t++)
            {
                int[] calls = trace.Threads[t];
                for (int i = 0; i < calls.Length; i++)
                {
                    if (calls[i] == call)
                    {
                        occurrences++;
                        if (lines[t][i] < line)
                        {
                            (line, thread) = (lines[t][i], threads[t]);
                        }
                    }
                }
            }

            details.Add(new Mismatch([call], line, thread) { Reason = CallSetReasons.Added, Count = occurrences });
            count += occurrences;
        }

        foreach (int call in missing)
        {
            details.Add(new Mismatch([call], 0, 0) { Reason = CallSetReasons.Missing, Count = 0 });
            count++;
        }

        return new WindowScore(distance, count, details, false);
    }
}

/// <summary>A window detector's score of one log, and the windows or calls it is made of.</summary>
/// <param name="Count">The explanations counted with repetition (calls in unseen or rare windows, or calls added and missing).</param>
public sealed record WindowScore(double Score, long Count, IReadOnlyList<Mismatch> Details, bool Truncated);

/// <summary>The <see cref="Mismatch.Reason"/> values of the callset detector.</summary>
public static class CallSetReasons
{
    /// <summary>The log makes a call the nearest normal vocabulary lacks.</summary>
    public const string Added = "call not in the nearest normal run";

    /// <summary>The nearest normal vocabulary holds a call the log never makes.</summary>
    public const string Missing = "call of the nearest normal run not made";
}

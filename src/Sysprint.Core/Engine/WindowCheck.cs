using Sysprint.Detection;
using Sysprint.Diagnostics;
using Sysprint.Model;
using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.Engine;

/// <summary>
/// The window detectors of <c>check</c> on one profile's stored window model: zstide, freq and
/// callset score a whole log as the evaluation does (through a <see cref="WindowScorer"/>), and
/// every score is explained by the windows or calls that make it up.
/// </summary>
public sealed class WindowCheck
{
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

    internal ZStideDetector ZStide => _zstide;

    internal CallSetDetector CallSet => _callset;

    /// <summary>A 6-call window seen fewer times than this in the learnt logs is rare (freq).</summary>
    internal double RareBelow => _freq.RareBelow;

    /// <summary>A scorer of one log with <paramref name="detector"/> (zstide, freq or callset), fed as the log is read.</summary>
    public WindowScorer NewScorer(string detector, int maxThreads = LogReadOptions.DefaultMaxThreads, int maxCalls = LogReadOptions.DefaultMaxCalls)
    {
        if (!Detectors.UsesWindowModel(detector))
        {
            throw new ArgumentException($"'{detector}' is not a window detector", nameof(detector));
        }

        return new WindowScorer(this, _model, detector, maxThreads, maxCalls);
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

using Sysprint.Diagnostics;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.Engine;

/// <summary>Checks logs against the fingerprints of a store, one log at a time.</summary>
public sealed class CheckRunner
{
    private readonly IFingerprintStore _store;
    private readonly SyscallTable _table;
    private readonly LogReadOptions _options;
    private readonly Dictionary<string, (ProfileInfo Profile, FingerprintChecker Checker)> _profiles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WindowCheck> _windowChecks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SysprintException> _windowFailures = new(StringComparer.Ordinal);

    public CheckRunner(IFingerprintStore store, SyscallTable table, LogReadOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _table = table;
        _options = options;
    }

    /// <summary>When set, every profile's seal is verified before its fingerprint is used.</summary>
    public Integrity.SealVerifier? Verifier { get; init; }

    /// <summary>Checks one log against <paramref name="profileName"/> (or its program's profile for <see cref="Trainer.AutoProfile"/>).</summary>
    /// <param name="threshold">Score tolerated; null uses the profile's own.</param>
    /// <param name="detector">One of <see cref="Detectors.All"/>; null uses the profile's own.</param>
    public CheckOutcome Check(string path, string profileName, double? threshold, string? detector = null)
    {
        ArgumentNullException.ThrowIfNull(profileName);
        string name = profileName == Trainer.AutoProfile ? ProgramProfile.Find(path, _options) : profileName;
        (ProfileInfo profile, FingerprintChecker checker) = Profile(name);
        string chosen = detector ?? profile.Detector;
        Detectors.Validate(chosen, profile.Window);
        double tolerated = threshold ?? (detector is null || detector == profile.Detector ? profile.Threshold : 0);
        if (Detectors.UsesWindowModel(chosen))
        {
            return CheckWholeLog(path, profile, chosen, tolerated);
        }

        checker.Reset();
        checker.LocalityFrame = chosen == Detectors.Lfc ? Detectors.LocalityFrame : 0;
        LogReadResult read = LogReader.Read(path, _table, _options, checker);
        if (_table.NewlyLearnt.Count > 0)
        {
            _store.SaveNames([.. _table.NewlyLearnt]);
            _table.MarkLearntSaved();
        }

        double score = chosen == Detectors.Lfc ? checker.MaxFrameMismatches : checker.MismatchCount;
        return new CheckOutcome(path, profile.Name, chosen, tolerated, read,
            checker.MismatchCount, [.. checker.Mismatches], checker.DetailsTruncated, score);
    }

    // The window detectors score the log as a whole: the scorer follows it as it streams.
    private CheckOutcome CheckWholeLog(string path, ProfileInfo profile, string detector, double threshold)
    {
        if (_windowFailures.TryGetValue(profile.Name, out SysprintException? failed))
        {
            throw new SysprintException(failed.ExitCode, failed.Message);
        }

        if (!_windowChecks.TryGetValue(profile.Name, out WindowCheck? windows))
        {
            try
            {
                windows = WindowCheck.Load(_store, profile, Verifier);
            }
            catch (SysprintException e)
            {
                // Loading sums every learnt log: a profile that cannot serve is not loaded again per log.
                _windowFailures[profile.Name] = e;
                throw;
            }

            _windowChecks[profile.Name] = windows;
        }

        WindowScorer scorer = windows.NewScorer(detector, _options.MaxThreads, _options.MaxCalls);
        LogReadResult read = LogReader.Read(path, _table, _options, scorer);
        if (_table.NewlyLearnt.Count > 0)
        {
            _store.SaveNames([.. _table.NewlyLearnt]);
            _table.MarkLearntSaved();
        }

        WindowScore scored = scorer.Finish();
        return new CheckOutcome(path, profile.Name, detector, threshold, read, scored.Count, scored.Details, scored.Truncated, scored.Score);
    }

    private (ProfileInfo, FingerprintChecker) Profile(string name)
    {
        if (_profiles.TryGetValue(name, out var cached))
        {
            return cached;
        }

        ProfileInfo profile = _store.FindProfile(name) ?? throw new SysprintException(ExitCodes.InputMissing,
            $"{_store.Location}: no profile '{name}' (profiles: {Names()}); learn it first with 'sysprint train --profile {name}'");
        Fingerprint fingerprint = _store.LoadFingerprint(profile);
        Verifier?.Verify(_store, name, fingerprint, _table);
        if (fingerprint.KnownCallCount == 0)
        {
            throw new SysprintException(ExitCodes.InputMissing,
                $"{_store.Location}: profile '{name}' has learnt nothing yet; learn normal logs first with 'sysprint train --profile {name}'");
        }

        var checker = new FingerprintChecker(fingerprint) { MaxThreads = _options.MaxThreads };
        _profiles[name] = (profile, checker);
        return (profile, checker);
    }

    private string Names()
    {
        IReadOnlyList<ProfileInfo> all = _store.ListProfiles();
        return all.Count == 0 ? "none" : string.Join(", ", all.Select(p => p.Name));
    }
}

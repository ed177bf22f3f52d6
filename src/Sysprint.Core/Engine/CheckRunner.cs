using Sysprint.Detection;
using Sysprint.Mapping;
using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.Engine;

/// <summary>Checks logs against the fingerprints of a store, one log at a time.</summary>
public sealed class CheckRunner
{
    private readonly IFingerprintStore _store;
    private readonly SyscallTable _table;
    private readonly LogReadOptions _options;
    private readonly ScorerOptions _scoring;
    private readonly Dictionary<string, LoadedProfile> _profiles = new(StringComparer.Ordinal);

    public CheckRunner(IFingerprintStore store, SyscallTable table, LogReadOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _table = table;
        _options = options;
        _scoring = new ScorerOptions { MaxThreads = options.MaxThreads, MaxCalls = options.MaxCalls };
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
        LoadedProfile profile = Profile(name);
        (Detector chosen, double tolerated) = profile.Choose(detector, threshold);
        var sink = new ScoringSink(chosen, profile.NormalRuns(chosen), _scoring);
        LogReadResult read = LogReader.Read(path, _table, _options, sink);
        if (_table.NewlyLearnt.Count > 0)
        {
            _store.SaveNames([.. _table.NewlyLearnt]);
            _table.MarkLearntSaved();
        }

        DetectorScore scored = sink.Finish();
        return new CheckOutcome(path, profile.Name, chosen.Kind, tolerated, read, scored.Count, scored.Details, scored.Truncated, scored.Score);
    }

    private LoadedProfile Profile(string name)
    {
        if (!_profiles.TryGetValue(name, out LoadedProfile? profile))
        {
            profile = LoadedProfile.Load(_store, name, _table, Verifier);
            _profiles[name] = profile;
        }

        return profile;
    }
}

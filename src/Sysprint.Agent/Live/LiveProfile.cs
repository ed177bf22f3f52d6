using Sysprint.Detection;
using Sysprint.Diagnostics;
using Sysprint.Engine;
using Sysprint.Integrity;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.Agent.Live;

/// <summary>
/// A profile ready for live checking: its fingerprint and window counts (shared, read-only, by every
/// log checked against it), the detector and the threshold, chosen as <c>check</c> chooses them
/// (<see cref="LoadedProfile"/>).
/// </summary>
public sealed class LiveProfile
{
    private readonly ScorerOptions _scoring;

    private LiveProfile(LoadedProfile loaded, Detector detector, double threshold, NormalRuns normal)
    {
        Loaded = loaded;
        Chosen = detector;
        Threshold = threshold;
        Normal = normal;
        _scoring = new ScorerOptions();
    }

    public LoadedProfile Loaded { get; }

    public ProfileInfo Info => Loaded.Info;

    public string Name => Info.Name;

    public Fingerprint Fingerprint => Loaded.Fingerprint;

    /// <summary>The detector that scores each log.</summary>
    public Detector Chosen { get; }

    /// <summary>The detector's registered name, as alerts and checks record it.</summary>
    public string Detector => Chosen.Kind;

    /// <summary>Score tolerated; a log is anomalous beyond it (0: at the first mismatch, as the paper).</summary>
    public double Threshold { get; }

    /// <summary>What the detector learns from (with the window counts when it reads them).</summary>
    public NormalRuns Normal { get; }

    /// <summary>
    /// True for a detector whose score is known only once the log ends (it reads the window counts):
    /// it decides then, not at the offending call.
    /// </summary>
    public bool DecidesAtEnd => Chosen.ReadsWindowCounts;

    /// <summary>
    /// Loads a profile; <paramref name="detector"/> and <paramref name="threshold"/> default to the
    /// profile's own. With a <paramref name="verifier"/> (<c>--trust</c>), the fingerprint is used
    /// only if its seal holds, checked against the store's <paramref name="mapping"/>.
    /// </summary>
    /// <exception cref="SysprintException">No such profile, or it learnt nothing (exit 66); a detector that does not fit (exit 64);
    /// a fingerprint unsealed or changed since it was sealed (exit 77).</exception>
    public static LiveProfile Load(IFingerprintStore store, string name, string? detector = null, double? threshold = null,
        SealVerifier? verifier = null, SyscallTable? mapping = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(name);
        LoadedProfile loaded = LoadedProfile.Load(store, name, mapping, verifier, live: true);
        (Detector chosen, double tolerated) = loaded.Choose(detector, threshold);
        return new LiveProfile(loaded, chosen, tolerated, loaded.NormalRuns(chosen));
    }

    /// <summary>A scorer of one log against this profile, fed as the log is read.</summary>
    public ScoringSink NewSink(bool ignoreThreadStarts = false, int maxThreads = LogReadOptions.DefaultMaxThreads) =>
        new(Chosen, Normal, maxThreads == _scoring.MaxThreads ? _scoring : _scoring with { MaxThreads = maxThreads }, ignoreThreadStarts);
}

using Sysprint.Detection;
using Sysprint.Diagnostics;
using Sysprint.Integrity;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Storage;

namespace Sysprint.Engine;

/// <summary>
/// A profile ready to check logs against: its fingerprint (verified against its seal when asked),
/// and, loaded once at first need, its window counts. The detector and threshold of a check are
/// chosen here, the same way for check, run, attach and watch. Thread-safe once loaded.
/// </summary>
public sealed class LoadedProfile
{
    private readonly IFingerprintStore _store;
    private readonly SealVerifier? _verifier;
    private readonly Lock _lock = new();
    private NormalRuns? _fingerprintOnly;
    private NormalRuns? _withWindows;
    private SysprintException? _windowsFailed;

    private LoadedProfile(IFingerprintStore store, ProfileInfo info, Fingerprint fingerprint, SealVerifier? verifier)
    {
        _store = store;
        Info = info;
        Fingerprint = fingerprint;
        _verifier = verifier;
    }

    public ProfileInfo Info { get; }

    public string Name => Info.Name;

    public Fingerprint Fingerprint { get; }

    /// <summary>
    /// Loads profile <paramref name="name"/>. With a <paramref name="verifier"/> (<c>--trust</c>), the
    /// fingerprint is used only if its seal holds, checked against <paramref name="mapping"/>.
    /// </summary>
    /// <param name="live">The profile serves run, attach or watch (its messages say how to learn runs).</param>
    /// <exception cref="SysprintException">No such profile, or it learnt nothing (InputMissing); a fingerprint unsealed or changed since it was sealed (Untrusted).</exception>
    public static LoadedProfile Load(IFingerprintStore store, string name, SyscallTable? mapping, SealVerifier? verifier = null, bool live = false)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(name);
        if (verifier is not null)
        {
            ArgumentNullException.ThrowIfNull(mapping);
        }

        ProfileInfo info = store.FindProfile(name) ?? throw new SysprintException(ErrorKind.InputMissing,
            $"{store.Location}: no profile '{name}' (profiles: {Names(store)})") { Remedy = new Remedy(RemedyKind.LearnProfile, name, live) };
        Fingerprint fingerprint = store.LoadFingerprint(info);
        verifier?.Verify(store, info.Name, fingerprint, mapping!);
        if (fingerprint.KnownCallCount == 0)
        {
            throw new SysprintException(ErrorKind.InputMissing,
                $"{store.Location}: profile '{name}' has learnt nothing yet") { Remedy = new Remedy(RemedyKind.LearnNormal, name, live) };
        }

        return new LoadedProfile(store, info, fingerprint, verifier);
    }

    /// <summary>
    /// The detector named <paramref name="detector"/> (null: the profile's own) and the score it
    /// tolerates: <paramref name="threshold"/> if given, else the profile's own threshold when the
    /// detector is the profile's, else 0.
    /// </summary>
    /// <exception cref="SysprintException">An unknown detector, or one that does not fit the profile (Usage).</exception>
    public (Detector Detector, double Threshold) Choose(string? detector, double? threshold)
    {
        string chosen = detector ?? Info.Detector;
        Detector resolved = Detectors.ForProfile(chosen, Info.Window);
        double tolerated = threshold ?? (detector is null || detector == Info.Detector ? Info.Threshold : 0);
        return (resolved, tolerated);
    }

    /// <summary>
    /// What <paramref name="detector"/> learns from: the fingerprint, and the window counts when it
    /// reads them (loaded and verified once; a failure is kept and thrown again for every later log).
    /// </summary>
    /// <exception cref="SysprintException">The window counts cannot serve (InputMissing, StoreUnavailable, Untrusted).</exception>
    public NormalRuns NormalRuns(Detector detector)
    {
        ArgumentNullException.ThrowIfNull(detector);
        lock (_lock)
        {
            if (!detector.ReadsWindowCounts)
            {
                return _fingerprintOnly ??= new NormalRuns(Fingerprint, null, [], []);
            }

            if (_windowsFailed is not null)
            {
                throw new SysprintException(_windowsFailed.Kind, _windowsFailed.Message) { Remedy = _windowsFailed.Remedy };
            }

            try
            {
                // Loading sums every learnt log: done once per profile, not per log.
                return _withWindows ??= WindowCheck.Load(_store, Info, _verifier, Fingerprint);
            }
            catch (SysprintException e)
            {
                _windowsFailed = e;
                throw;
            }
        }
    }

    private static string Names(IFingerprintStore store)
    {
        IReadOnlyList<ProfileInfo> all = store.ListProfiles();
        return all.Count == 0 ? "none" : string.Join(", ", all.Select(p => p.Name));
    }
}

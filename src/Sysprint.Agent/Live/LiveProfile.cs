using Sysprint.Diagnostics;
using Sysprint.Engine;
using Sysprint.Integrity;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Storage;

namespace Sysprint.Agent.Live;

/// <summary>
/// A profile ready for live checking: its fingerprint (shared, read-only, by every log checked
/// against it), the detector and the threshold, chosen as <c>check</c> chooses them.
/// </summary>
public sealed class LiveProfile
{
    private LiveProfile(ProfileInfo info, Fingerprint fingerprint, string detector, double threshold, WindowCheck? windows)
    {
        Info = info;
        Fingerprint = fingerprint;
        Detector = detector;
        Threshold = threshold;
        Windows = windows;
    }

    public ProfileInfo Info { get; }

    public string Name => Info.Name;

    public Fingerprint Fingerprint { get; }

    public string Detector { get; }

    /// <summary>Score tolerated; a log is anomalous beyond it (0: at the first mismatch, as the paper).</summary>
    public double Threshold { get; }

    /// <summary>
    /// For the whole-log detectors (zstide, freq, callset), the profile's window model: their score
    /// is known only once the log ends, so they decide then, not at the offending call.
    /// </summary>
    public WindowCheck? Windows { get; }

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
        if (verifier is not null)
        {
            ArgumentNullException.ThrowIfNull(mapping);
        }

        ProfileInfo info = store.FindProfile(name) ?? throw new SysprintException(ExitCodes.InputMissing,
            $"{store.Location}: no profile '{name}' (profiles: {Names(store)}); learn it first with 'sysprint train --profile {name}' or 'sysprint run --learn --profile {name} -- CMD'");
        Fingerprint fingerprint = store.LoadFingerprint(info);
        verifier?.Verify(store, info.Name, fingerprint, mapping!);
        if (fingerprint.KnownCallCount == 0)
        {
            throw new SysprintException(ExitCodes.InputMissing,
                $"{store.Location}: profile '{name}' has learnt nothing yet; learn normal runs first with 'sysprint train --profile {name}'");
        }

        string chosen = detector ?? info.Detector;
        Detectors.Validate(chosen, info.Window);
        double tolerated = threshold ?? (detector is null || detector == info.Detector ? info.Threshold : 0);
        WindowCheck? windows = Detectors.UsesWindowModel(chosen) ? WindowCheck.Load(store, info, verifier) : null;
        return new LiveProfile(info, fingerprint, chosen, tolerated, windows);
    }

    /// <summary>A checker of one log against this profile.</summary>
    public FingerprintChecker NewChecker() => new(Fingerprint)
    {
        LocalityFrame = Detector == Detectors.Lfc ? Detectors.LocalityFrame : 0,
    };

    private static string Names(IFingerprintStore store)
    {
        IReadOnlyList<ProfileInfo> all = store.ListProfiles();
        return all.Count == 0 ? "none" : string.Join(", ", all.Select(p => p.Name));
    }
}

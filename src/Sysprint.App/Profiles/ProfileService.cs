using Sysprint.Detection;
using Sysprint.Diagnostics;
using Sysprint.Engine;
using Sysprint.Storage;

namespace Sysprint.App.Profiles;

/// <summary>
/// A profile's settings in a store: finding it, its fingerprint (<c>show</c>), the detector and
/// threshold <c>check</c> uses (<c>profile</c>, calibrated from the learnt logs alone with a
/// false-alarm rate), and deleting it.
/// </summary>
public static class ProfileService
{
    /// <summary>The profile named <paramref name="name"/>.</summary>
    /// <exception cref="SysprintException">No such profile (InputMissing), listing the store's profiles.</exception>
    public static ProfileInfo Find(IFingerprintStore store, string name)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(name);
        return store.FindProfile(name) ?? throw NotFound(store, name);
    }

    /// <summary>The profile named <paramref name="name"/> with its fingerprint.</summary>
    /// <exception cref="SysprintException">No such profile (InputMissing).</exception>
    public static ProfileFingerprint Show(IFingerprintStore store, string name)
    {
        ProfileInfo info = Find(store, name);
        return new ProfileFingerprint(info, store.LoadFingerprint(info));
    }

    /// <summary>
    /// The threshold at which at most <paramref name="rate"/> of the profile's learnt logs, each
    /// tenth held out and checked against the tenths learnt before it, score above it with
    /// <paramref name="detector"/> (null: <see cref="Detectors.Recommended"/>). Nothing is stored.
    /// </summary>
    /// <exception cref="SysprintException">
    /// The detector is unknown or cannot be calibrated so (Usage); the profile's logs lack window
    /// counts or are fewer than 2 (InputMissing).
    /// </exception>
    public static Calibration Calibrate(IFingerprintStore store, ProfileInfo info, string? detector, double rate)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(info);
        string chosen = detector ?? Detectors.Recommended;
        Detector calibrated = Detectors.ForProfile(chosen, info.Window);
        NormalRuns normal = WindowCheck.Validate(store.LoadWindowModel(info), store.Location, info.Name);
        double[] scores = calibrated.HeldOut(normal);
        if (scores.Length == 0)
        {
            throw new SysprintException(ErrorKind.InputMissing,
                $"{store.Location}: a threshold from the learnt logs alone needs at least 2 learnt logs (a later one is checked against an earlier one); profile '{info.Name}' has {normal.Logs.Count}");
        }

        (double threshold, int above) = HeldOutCalibration.Threshold(scores, rate);
        return new Calibration(chosen, threshold, above, scores.Length);
    }

    /// <summary>
    /// Sets the detector and threshold <c>check</c> uses for the profile: a detector given alone
    /// gets threshold 0, a threshold given alone keeps the detector; returns the profile as stored.
    /// </summary>
    /// <exception cref="SysprintException">The detector is unknown or does not fit the profile's window (Usage).</exception>
    public static ProfileInfo SetDetector(IFingerprintStore store, ProfileInfo info, string? detector, double? threshold)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(info);
        if (detector is null && threshold is null)
        {
            return info;
        }

        string chosen = detector ?? info.Detector;
        Detectors.Validate(chosen, info.Window);
        store.SetProfileDetector(info.Name, chosen, threshold ?? (detector is null ? info.Threshold : 0));
        return Find(store, info.Name);
    }

    /// <summary>Deletes the profile (fingerprint, learnt logs, window counts, seal; its checks and alerts stay); returns what it held.</summary>
    /// <exception cref="SysprintException">No such profile (InputMissing).</exception>
    public static DeletedProfile Delete(IFingerprintStore store, string name)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(name);
        ProfileInfo? info = store.FindProfile(name);
        int transitions = info is null ? 0 : store.LoadFingerprint(info).TransitionCount;
        int logs = info is null ? 0 : store.ListLearntLogs(info.Id).Count;
        if (info is null || !store.DeleteProfile(name))
        {
            throw NotFound(store, name);
        }

        return new DeletedProfile(name, transitions, logs);
    }

    private static SysprintException NotFound(IFingerprintStore store, string name) => new(ErrorKind.InputMissing,
        $"{store.Location}: no profile '{name}' (profiles: {string.Join(", ", store.ListProfiles().Select(p => p.Name).DefaultIfEmpty("none"))})");
}

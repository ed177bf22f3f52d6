using Sysprint.Detection;
using Sysprint.Diagnostics;
using Sysprint.Storage;

namespace Sysprint.Engine;

/// <summary>
/// Loads a profile's window counts for the detectors that read them (zstide, freq, callset): the
/// window model of every learnt log, refused when some log was learnt without them.
/// </summary>
public static class WindowCheck
{
    /// <summary>
    /// The window counts of <paramref name="profile"/>, with its <paramref name="fingerprint"/> when
    /// given. With a <paramref name="verifier"/> (<c>--trust</c>), the profile's seal must cover the
    /// counts as they are (Untrusted); a profile learnt partly without them is refused (InputMissing).
    /// </summary>
    public static NormalRuns Load(IFingerprintStore store, ProfileInfo profile, Integrity.SealVerifier? verifier, Model.Fingerprint? fingerprint = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(profile);
        StoredWindowModel stored = store.LoadWindowModel(profile);
        NormalRuns normal = Validate(stored, store.Location, profile.Name, fingerprint);
        verifier?.VerifyWindows(store, profile.Name, stored);
        return normal;
    }

    /// <summary>The normal runs of <paramref name="stored"/>, unless some log was learnt without window counts (InputMissing).</summary>
    public static NormalRuns Validate(StoredWindowModel stored, string location, string profile, Model.Fingerprint? fingerprint = null)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (stored.LogsWithoutWindows > 0 || stored.Logs.Count == 0)
        {
            string why = stored.Logs.Count == 0 && stored.LogsWithoutWindows == 0
                ? "has learnt nothing yet"
                : $"holds {stored.LogsWithoutWindows} log(s) learnt without window counts (by a sysprint before schema 3, or imported from an export without them)";
            throw new SysprintException(ErrorKind.InputMissing,
                $"{location}: profile '{profile}' {why}, so the window detectors ({string.Join(", ", Detectors.All.Where(Detectors.ReadsWindowCounts))}) cannot use it") { Remedy = RemedyKind.LearnAgainWithWindows };
        }

        return NormalRuns.FromStore(stored, fingerprint);
    }
}

/// <summary>The <see cref="Model.Mismatch.Reason"/> values of the callset detector.</summary>
public static class CallSetReasons
{
    /// <summary>The log makes a call the nearest normal vocabulary lacks.</summary>
    public const string Added = CallSetDetector.Added;

    /// <summary>The nearest normal vocabulary holds a call the log never makes.</summary>
    public const string Missing = CallSetDetector.Missing;
}

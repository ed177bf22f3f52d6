using System.Security.Cryptography;
using Sysprint.Diagnostics;
using Sysprint.Integrity;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Storage;

namespace Sysprint.App.Profiles;

/// <summary>Sealing every profile of a store with the administrator's key (<c>seal</c>).</summary>
public static class SealService
{
    /// <summary>
    /// Signs each profile's fingerprint digest, and its window counts when every learnt log has
    /// them, with <paramref name="key"/>; stores each seal and returns them in the store's order.
    /// </summary>
    /// <exception cref="SysprintException">The store holds no profile (InputMissing).</exception>
    public static IReadOnlyList<SealedProfile> SealAll(IFingerprintStore store, SyscallTable table, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(key);
        IReadOnlyList<ProfileInfo> profiles = store.ListProfiles();
        if (profiles.Count == 0)
        {
            throw new SysprintException(ErrorKind.InputMissing, $"{store.Location}: no profiles to seal; learn logs first");
        }

        var sealedProfiles = new List<SealedProfile>(profiles.Count);
        foreach (ProfileInfo profile in profiles)
        {
            Fingerprint fingerprint = store.LoadFingerprint(profile);

            // The window counts are sealed too when every learnt log has them (the window detectors need all).
            StoredWindowModel windows = store.LoadWindowModel(profile);
            string? windowsDigest = windows.LogsWithoutWindows == 0 && windows.Logs.Count > 0 ? windows.Digest : null;
            Seal seal = Seal.Create(profile.Name, FingerprintDigest.Compute(profile.Name, fingerprint, table), key, windowsDigest);
            store.SetSetting(Seal.SettingKey(profile.Name), seal.ToJson());
            sealedProfiles.Add(new SealedProfile(profile.Name, fingerprint.TransitionCount, windowsDigest is null ? null : windows.Logs.Count, seal));
        }

        return sealedProfiles;
    }
}

using System.Security.Cryptography;
using Sysprint.Diagnostics;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Storage;

namespace Sysprint.Integrity;

/// <summary>
/// Checks, before a fingerprint is used, that it is exactly the one the administrator sealed.
/// A refusal is Untrusted: a changed, unsealed or foreign-signed fingerprint is never used silently.
/// </summary>
public sealed class SealVerifier(ECDsa publicKey, string publicKeyPath)
{
    /// <summary>A verifier for the public key in <paramref name="publicKeyPath"/> (<c>KEYFILE.pub</c>).</summary>
    /// <exception cref="SysprintException">The file is missing (66), not a key (65), or writable by group or others (77).</exception>
    public static SealVerifier Load(string publicKeyPath)
    {
        ArgumentNullException.ThrowIfNull(publicKeyPath);
        if (!File.Exists(publicKeyPath))
        {
            throw new SysprintException(ErrorKind.InputMissing, $"{publicKeyPath}: no such public key file");
        }

        return new SealVerifier(SealKeys.LoadPublic(publicKeyPath), publicKeyPath);
    }

    /// <summary>Verifies the seal kept in the store for <paramref name="profile"/>.</summary>
    public void Verify(IFingerprintStore store, string profile, Fingerprint fingerprint, SyscallTable table)
    {
        ArgumentNullException.ThrowIfNull(store);
        Verify(Seal.FromJson(store.GetSetting(Seal.SettingKey(profile))), profile, fingerprint, table, store.Location);
    }

    /// <summary>Verifies <paramref name="seal"/> (null: unsealed) for a fingerprint; <paramref name="where"/> names its source in messages.</summary>
    public void Verify(Seal? seal, string profile, Fingerprint fingerprint, SyscallTable table, string where)
    {
        if (seal is null)
        {
            throw new SysprintException(ErrorKind.Untrusted,
                $"{where}: profile '{profile}' is not sealed; refusing to use it") { Remedy = RemedyKind.SealProfile };
        }

        if (seal.Profile != profile || !seal.IsSignedBy(publicKey))
        {
            throw new SysprintException(ErrorKind.Untrusted,
                $"{where}: the seal of profile '{profile}' was not made by the key of {publicKeyPath} (sealed by key {seal.KeyId}); refusing to use it");
        }

        string digest = FingerprintDigest.Compute(profile, fingerprint, table);
        if (digest != seal.Digest)
        {
            throw new SysprintException(ErrorKind.Untrusted,
                $"{where}: profile '{profile}' changed since it was sealed on {seal.SealedAt:yyyy-MM-dd HH:mm:ss}Z (digest {digest[..16]}, sealed {seal.Digest[..16]}); refusing to use it") { Remedy = RemedyKind.SealAgain };
        }
    }

    /// <summary>
    /// Verifies that the seal of <paramref name="profile"/> also covers the window counts the
    /// zstide, freq and callset detectors read, as they are now.
    /// </summary>
    public void VerifyWindows(IFingerprintStore store, string profile, StoredWindowModel windows)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(windows);
        VerifyWindows(Seal.FromJson(store.GetSetting(Seal.SettingKey(profile))), profile, windows.Digest, store.Location);
    }

    /// <summary>Verifies that <paramref name="seal"/> covers window counts of digest <paramref name="digest"/>; <paramref name="where"/> names their source.</summary>
    public void VerifyWindows(Seal? seal, string profile, string digest, string where)
    {
        ArgumentNullException.ThrowIfNull(digest);
        if (seal is null || seal.Profile != profile || !seal.IsSignedBy(publicKey))
        {
            throw new SysprintException(ErrorKind.Untrusted,
                $"{where}: profile '{profile}' is not sealed by the key of {publicKeyPath}; refusing to use it") { Remedy = RemedyKind.SealProfile };
        }

        if (seal.WindowsDigest is null)
        {
            throw new SysprintException(ErrorKind.Untrusted,
                $"{where}: the seal of profile '{profile}' does not cover its window counts (sealed by an older sysprint, or before any log with them was learnt); refusing them") { Remedy = RemedyKind.SealWindows };
        }

        if (seal.WindowsDigest != digest)
        {
            throw new SysprintException(ErrorKind.Untrusted,
                $"{where}: the window counts of profile '{profile}' changed since it was sealed on {seal.SealedAt:yyyy-MM-dd HH:mm:ss}Z (digest {digest[..16]}, sealed {seal.WindowsDigest[..Math.Min(16, seal.WindowsDigest.Length)]}); refusing to use them") { Remedy = RemedyKind.SealAgain };
        }
    }
}

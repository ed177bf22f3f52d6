using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sysprint.Integrity;

/// <summary>A profile's signed digest, as kept in the store and carried by an export.</summary>
/// <param name="WindowsDigest">The digest of the window counts the zstide, freq and callset detectors
/// read (<see cref="Storage.StoredWindowModel.Digest"/>), when the profile had them at sealing; signed too.</param>
public sealed record Seal(
    [property: JsonPropertyName("profile")] string Profile,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("signature")] string Signature,
    [property: JsonPropertyName("key_id")] string KeyId,
    [property: JsonPropertyName("sealed_at")] DateTimeOffset SealedAt,
    [property: JsonPropertyName("windows_digest"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? WindowsDigest = null)
{
    /// <summary>Where a profile's seal is kept in the store's settings.</summary>
    public static string SettingKey(string profile) => "seal:" + profile;

    /// <summary>The bytes signed: the profile name and the digests, so a seal cannot be moved to another profile.</summary>
    public static byte[] SignedBytes(string profile, string digest, string? windowsDigest = null) =>
        Encoding.UTF8.GetBytes($"{FingerprintDigest.Version}\n{profile}\n{digest}\n" + (windowsDigest is null ? "" : $"windows {windowsDigest}\n"));

    public static Seal Create(string profile, string digest, ECDsa key, string? windowsDigest = null) => new(
        profile,
        digest,
        Convert.ToBase64String(key.SignData(SignedBytes(profile, digest, windowsDigest), HashAlgorithmName.SHA256)),
        SealKeys.KeyId(key),
        DateTimeOffset.UtcNow,
        windowsDigest);

    public bool IsSignedBy(ECDsa publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        try
        {
            return publicKey.VerifyData(SignedBytes(Profile, Digest, WindowsDigest), Convert.FromBase64String(Signature), HashAlgorithmName.SHA256);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, SealJson.Default.Seal);

    public static Seal? FromJson(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(json, SealJson.Default.Seal);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

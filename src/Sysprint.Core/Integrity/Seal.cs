using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sysprint.Integrity;

/// <summary>A profile's signed digest, as kept in the store and carried by an export.</summary>
public sealed record Seal(
    [property: JsonPropertyName("profile")] string Profile,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("signature")] string Signature,
    [property: JsonPropertyName("key_id")] string KeyId,
    [property: JsonPropertyName("sealed_at")] DateTimeOffset SealedAt)
{
    /// <summary>Where a profile's seal is kept in the store's settings.</summary>
    public static string SettingKey(string profile) => "seal:" + profile;

    /// <summary>The bytes signed: the profile name and the digest, so a seal cannot be moved to another profile.</summary>
    public static byte[] SignedBytes(string profile, string digest) => Encoding.UTF8.GetBytes($"{FingerprintDigest.Version}\n{profile}\n{digest}\n");

    public static Seal Create(string profile, string digest, ECDsa key) => new(
        profile,
        digest,
        Convert.ToBase64String(key.SignData(SignedBytes(profile, digest), HashAlgorithmName.SHA256)),
        SealKeys.KeyId(key),
        DateTimeOffset.UtcNow);

    public bool IsSignedBy(ECDsa publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        try
        {
            return publicKey.VerifyData(SignedBytes(Profile, Digest), Convert.FromBase64String(Signature), HashAlgorithmName.SHA256);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this);

    public static Seal? FromJson(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<Seal>(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

using System.Security.Cryptography;
using System.Text;

namespace Sysprint.Fleet;

/// <summary>
/// Enrollment secrets and host credentials: 256 random bits, written as a prefix and base64url
/// text. The server keeps only their SHA-256: with that much entropy a plain hash cannot be
/// reversed, and a lookup by hash costs one index probe.
/// </summary>
public static class FleetSecrets
{
    /// <summary>Prefix of enrollment secrets.</summary>
    public const string EnrollPrefix = "spe_";

    /// <summary>Prefix of host credentials.</summary>
    public const string CredentialPrefix = "sph_";

    /// <summary>A new secret: <paramref name="prefix"/> and 43 base64url characters.</summary>
    public static string New(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        Span<byte> bytes = stackalloc byte[32];
        RandomNumberGenerator.Fill(bytes);
        return prefix + Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>The SHA-256 of the secret's UTF-8 text: what the store keeps and looks up.</summary>
    public static byte[] Hash(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return SHA256.HashData(Encoding.UTF8.GetBytes(secret));
    }

    /// <summary>True when <paramref name="value"/> has the shape of a secret with this prefix (so junk is refused before any lookup).</summary>
    public static bool LooksLike(string? value, string prefix)
    {
        if (value is null || value.Length != prefix.Length + 43 || !value.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (char c in value.AsSpan(prefix.Length))
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_')
            {
                return false;
            }
        }

        return true;
    }
}

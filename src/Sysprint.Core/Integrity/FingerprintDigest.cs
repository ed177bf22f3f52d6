using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Sysprint.Mapping;
using Sysprint.Model;

namespace Sysprint.Integrity;

/// <summary>
/// A SHA-256 digest of a profile's fingerprint in a canonical text form: its name, window and every
/// gram in a stable order, each call by number and name (so a renumbered mapping changes it too).
/// </summary>
public static class FingerprintDigest
{
    public const string Version = "sysprint-fingerprint 1";

    public static string Compute(string profile, Fingerprint fingerprint, SyscallTable table)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(fingerprint);
        ArgumentNullException.ThrowIfNull(table);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var line = new StringBuilder();
        void Emit(string text)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(text));
            sha.AppendData("\n"u8);
        }

        Emit(Version);
        Emit("profile " + profile);
        Emit("window " + fingerprint.Window.ToString(CultureInfo.InvariantCulture));
        foreach (int[] gram in fingerprint.Grams())
        {
            line.Clear();
            foreach (int nr in gram)
            {
                line.Append(nr.ToString(CultureInfo.InvariantCulture)).Append(':').Append(table.NameOf(nr)).Append(' ');
            }

            Emit(line.ToString());
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}

using System.Security.Cryptography;
using System.Text;

namespace Sysprint.Integrity;

/// <summary>
/// A SHA-256 digest of a profile's window counts: each learnt log's stored windows, named by the
/// SHA-256 of the log's content, in that name's order. It depends only on what was learnt, not on
/// row ids, so a profile exported to another host keeps its digest (and its seal) there.
/// </summary>
public static class WindowsDigest
{
    public static string Compute(IEnumerable<(string LogSha256, byte[] Windows)> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        var ordered = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach ((string sha256, byte[] windows) in logs)
        {
            ordered[sha256] = SHA256.HashData(windows);
        }

        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        digest.AppendData("sysprint-windows 1\n"u8);
        foreach ((string sha256, byte[] windowsHash) in ordered)
        {
            digest.AppendData(Encoding.UTF8.GetBytes($"{sha256} {Convert.ToHexStringLower(windowsHash)}\n"));
        }

        return Convert.ToHexStringLower(digest.GetHashAndReset());
    }
}

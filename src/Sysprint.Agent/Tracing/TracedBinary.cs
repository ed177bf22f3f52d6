using System.Globalization;
using System.Security.Cryptography;

namespace Sysprint.Agent.Tracing;

/// <summary>
/// The executable a traced process runs: its path and the SHA-256 of its content, read through
/// <c>/proc/PID/exe</c> while the process runs it (so a binary replaced or deleted on disk since is
/// still the one hashed), or from the program's path resolved on <c>PATH</c> when no process is at
/// hand.
/// </summary>
public sealed record TracedBinary(string Path, string Sha256)
{
    /// <summary>The executable of process <paramref name="pid"/>, or null when it cannot be read (gone, not ours).</summary>
    public static TracedBinary? OfProcess(int pid)
    {
        string exe = string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/exe");
        try
        {
            string? target = new FileInfo(exe).LinkTarget;
            return target is null ? null : new TracedBinary(target, Hash(exe));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The file at <paramref name="path"/>, or null when it cannot be read.</summary>
    public static TracedBinary? OfFile(string? path)
    {
        if (path is null)
        {
            return null;
        }

        try
        {
            string full = System.IO.Path.GetFullPath(path);
            return new TracedBinary(full, Hash(full));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Hash(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

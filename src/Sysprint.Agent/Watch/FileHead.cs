using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Sysprint.Agent.Watch;

/// <summary>
/// The first bytes of a log's content (decompressed for gzip) and their SHA-256: what tells a
/// file read before from new content under the same inode, and a compressed copy of a rotated log
/// from a new log.
/// </summary>
internal static class FileHead
{
    /// <summary>How many leading bytes identify a log's content.</summary>
    public const int MaxLength = 4096;

    public static bool IsGzip(string path)
    {
        using FileStream file = Open(path);
        Span<byte> magic = stackalloc byte[2];
        return file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
    }

    /// <summary>The hash of the first <paramref name="length"/> bytes of content; null when there are fewer.</summary>
    public static string? Hash(string path, int length)
    {
        byte[] head = Bytes(path, length);
        return head.Length < length ? null : Convert.ToHexStringLower(SHA256.HashData(head));
    }

    /// <summary>The first bytes of content (at most <see cref="MaxLength"/>) and their hash.</summary>
    public static (int Length, string Hash) Current(string path)
    {
        byte[] head = Bytes(path, MaxLength);
        return (head.Length, Convert.ToHexStringLower(SHA256.HashData(head)));
    }

    /// <summary>The uncompressed size a gzip file states in its last 4 bytes (modulo 2^32).</summary>
    public static long GzipSize(string path)
    {
        using FileStream file = Open(path);
        if (file.Length < 4)
        {
            return -1;
        }

        Span<byte> tail = stackalloc byte[4];
        file.Position = file.Length - 4;
        file.ReadExactly(tail);
        return BinaryPrimitives.ReadUInt32LittleEndian(tail);
    }

    /// <summary>The first <paramref name="length"/> bytes of content, or fewer when the content is shorter.</summary>
    public static byte[] Bytes(string path, int length)
    {
        bool gzip = IsGzip(path);
        using FileStream file = Open(path);
        using Stream content = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        byte[] buffer = new byte[length];
        int n;
        try
        {
            n = content.ReadAtLeast(buffer, length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException)
        {
            // A gzip file still being written, or corrupt: no head yet.
            return [];
        }

        return buffer[..n];
    }

    private static FileStream Open(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
}

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Sysprint.Diagnostics;

namespace Sysprint.Cli;

/// <summary>
/// Keeps a store file's owner when root writes it: <c>train</c>, <c>import</c>, <c>profile</c> or
/// <c>seal</c> run as root on the service's store (<c>/var/lib/sysprint/sysprint.db</c>, owned by the
/// <c>sysprint</c> user) must not leave files the service cannot open. A store root creates in a
/// folder another user owns is given to that user; the store's <c>-wal</c> and <c>-shm</c> are given
/// to the store's owner (SQLite does that for the files it creates; this covers the rest).
/// </summary>
internal static partial class StoreOwner
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxUidGid = 0x8 | 0x10;
    private const int StatxBufferBytes = 256;

    /// <summary>True when this process runs as root (files it creates are root's).</summary>
    public static bool IsRoot => OperatingSystem.IsLinux() && GetEuid() == 0;

    /// <summary>The owner and group of a file (not following a final symbolic link), or null when it cannot be read.</summary>
    public static (uint Uid, uint Gid)? Of(string path)
    {
        Span<byte> buffer = stackalloc byte[StatxBufferBytes];
        buffer.Clear();
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxUidGid, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            return null;
        }

        // struct statx: stx_uid at 20, stx_gid at 24 (the same on every architecture).
        return (BinaryPrimitives.ReadUInt32LittleEndian(buffer[20..]), BinaryPrimitives.ReadUInt32LittleEndian(buffer[24..]));
    }

    /// <summary>
    /// Run as root, after the store at <paramref name="storeFile"/> was opened: the owner it must
    /// keep is its own if it <paramref name="existed"/>, else its folder's; root's own files are
    /// left alone. Each of the store's files owned by root is given to that owner.
    /// </summary>
    /// <exception cref="SysprintException">A file could not be given back (77), with the command that fixes it.</exception>
    public static void Keep(string storeFile, bool existed, IReadOnlyList<string> files)
    {
        if (!IsRoot)
        {
            return;
        }

        string full = Path.GetFullPath(storeFile);
        string? folder = Path.GetDirectoryName(full);
        (uint Uid, uint Gid)? owner = existed ? Of(full) : folder is null ? null : Of(folder);
        if (owner is not { } target || target.Uid == 0)
        {
            return;
        }

        foreach (string file in files)
        {
            if (Of(file) is { Uid: 0 } && LChown(file, target.Uid, target.Gid) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new SysprintException(ErrorKind.Untrusted,
                    $"{file}: root wrote the store of user {target.Uid} and cannot give this file back (errno {errno}): run 'chown {target.Uid}:{target.Gid} {file}', or run sysprint as that user (runuser -u USER -- sysprint ...)");
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    [LibraryImport("libc", EntryPoint = "lchown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int LChown(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int directory, string path, int flags, uint mask, ref byte buffer);
}

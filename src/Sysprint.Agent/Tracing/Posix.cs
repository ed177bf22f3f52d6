using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Sysprint.Agent.Tracing;

/// <summary>The few POSIX calls .NET does not expose: mkfifo, kill, statx, realpath.</summary>
internal static partial class Posix
{
    public const int SigKill = 9;
    public const int SigCont = 18;
    public const int SigStop = 19;
    public const int SigInt = 2;

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxIno = 0x100;
    private const int StatxBufferBytes = 256;

    /// <summary>Creates a named pipe with mode 0600.</summary>
    /// <exception cref="IOException">It could not be created.</exception>
    public static void MakeFifo(string path)
    {
        if (mkfifo(path, 0x180) != 0)
        {
            throw new IOException($"{path}: cannot create a named pipe (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    /// <summary>Sends a signal; false when the process is gone (or not ours).</summary>
    public static bool Signal(int pid, int signal) => kill(pid, signal) == 0;

    /// <summary>
    /// The device and inode of a file (following symbolic links, unless <paramref name="noFollow"/>:
    /// then of the link itself), or null when it cannot be read.
    /// </summary>
    public static (long Device, long Inode)? FileId(string path, bool noFollow = false)
    {
        Span<byte> buffer = stackalloc byte[StatxBufferBytes];
        buffer.Clear();
        if (statx(AtFdCwd, path, noFollow ? AtSymlinkNoFollow : 0, StatxIno, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            return null;
        }

        // struct statx: stx_ino at 32; stx_dev_major at 136 and stx_dev_minor at 140 (the same on every architecture).
        long inode = (long)BinaryPrimitives.ReadUInt64LittleEndian(buffer[32..]);
        long device = ((long)BinaryPrimitives.ReadUInt32LittleEndian(buffer[136..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(buffer[140..]);
        return (device, inode);
    }

    /// <summary>The absolute path with every symbolic link, <c>.</c> and <c>..</c> resolved (realpath(3)), or null when it does not exist.</summary>
    public static string? RealPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        IntPtr resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            free(resolved);
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc")]
    private static partial void free(IntPtr pointer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkfifo(string path, uint mode);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, ref byte buffer);
}

using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Sysprint.Diagnostics;

namespace Sysprint.Agent.Hosting;

/// <summary>
/// One agent per store: an exclusive <c>flock(2)</c> on <c>STORE.lock</c>, beside the store, held
/// for the life of the process (reloads included) and holding that process's pid. The kernel drops
/// the lock when the process ends, <c>kill -9</c> included, so a stale file never blocks a start.
/// </summary>
/// <remarks>
/// Not .NET's own <c>FileShare.None</c> lock: it is the same <c>flock</c>, but a second process
/// could then not read the pid out of the file (.NET takes a shared lock to read it). The file is
/// opened <c>O_CLOEXEC</c>, so a program sink's child does not inherit the lock and outlive it.
/// </remarks>
public sealed partial class AgentLock : IDisposable
{
    private const int ReadOnly = 0;
    private const int ReadWrite = 2;
    private const int Create = 0x40;
    private const int CloseOnExec = 0x80000;
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int WouldBlock = 11;
    private const int Interrupted = 4;
    private const int AccessDenied = 13;
    private const int Mode0644 = 0x1A4;

    private int _fd;

    private AgentLock(int fd, string path)
    {
        _fd = fd;
        Path = path;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>The lock file of the store at <paramref name="storeFile"/>.</summary>
    public static string PathFor(string storeFile)
    {
        ArgumentNullException.ThrowIfNull(storeFile);
        return storeFile + ".lock";
    }

    /// <summary>Takes the store's lock, or says which process holds it.</summary>
    /// <exception cref="SysprintException">Another process holds it (75, naming its pid); the lock file cannot be opened (74).</exception>
    public static AgentLock Acquire(string storeFile)
    {
        string path = PathFor(storeFile);
        bool writable = true;
        int fd = Open(path, ReadWrite | Create | CloseOnExec, Mode0644);
        if (fd < 0 && Marshal.GetLastPInvokeError() == AccessDenied)
        {
            // Another user's lock file (the service's, read by root or an operator): locking
            // needs no write access, naming the holder needs none either.
            writable = false;
            fd = Open(path, ReadOnly | CloseOnExec, 0);
        }

        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new SysprintException(ErrorKind.StoreUnavailable,
                $"{path}: cannot open the agent's lock file beside the store: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }

        while (Flock(fd, LockExclusive | LockNonBlocking) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Interrupted)
            {
                continue;
            }

            string? holder = errno == WouldBlock ? Holder(fd) : null;
            _ = Close(fd);
            if (errno != WouldBlock)
            {
                throw new SysprintException(ErrorKind.StoreUnavailable,
                    $"{path}: cannot lock the agent's lock file: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
            }

            string who = holder is null ? "another agent" : $"another agent, pid {holder},";
            string stop = holder is null ? "stop it first" : $"stop it first (systemctl stop sysprint-agent, or kill {holder})";
            throw new SysprintException(ErrorKind.TemporaryFailure,
                $"{who} is already watching with the store {storeFile} (it holds {path}): {stop}, or give this one another --db");
        }

        var held = new AgentLock(fd, path);
        if (writable)
        {
            held.WritePid();
        }

        return held;
    }

    /// <summary>The pid written by the lock's holder; it writes it just after locking, so wait a little for it.</summary>
    private static string? Holder(int fd)
    {
        Span<byte> buffer = stackalloc byte[32];
        for (int attempt = 0; attempt < 20; attempt++)
        {
            nint read = PRead(fd, ref MemoryMarshal.GetReference(buffer), buffer.Length, 0);
            if (read > 0)
            {
                string text = Encoding.ASCII.GetString(buffer[..(int)read]).Trim();
                if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0)
                {
                    return text;
                }
            }

            Thread.Sleep(50);
        }

        return null;
    }

    private void WritePid()
    {
        byte[] pid = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        _ = FTruncate(_fd, 0);
        _ = PWrite(_fd, ref pid[0], pid.Length, 0);
    }

    /// <summary>Releases the lock (the pid is wiped first, so the file names no one).</summary>
    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = FTruncate(fd, 0);
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static partial nint PRead(int fd, ref byte buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint PWrite(int fd, ref byte buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int FTruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}

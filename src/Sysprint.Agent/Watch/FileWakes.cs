using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sysprint.Agent.Watch;

/// <summary>
/// Wakes a reader waiting at its file's end as soon as the file is written, through inotify: one
/// instance for all readers, each reader that reached its file's end arming a one-shot watch
/// (<c>IN_MODIFY | IN_ONESHOT</c>) on the file it has open (<c>/proc/self/fd/N</c>, so a file
/// renamed away is still the one watched). A write then costs one event for a reader waiting, and
/// none for a reader busy reading or one that was woken already: unlike a watch on every write
/// in the spool (a line per write, 200,000 a second under load), the events are bounded by the
/// readers' wake-ups. Where a watch cannot be armed (inotify's limits), the reader polls.
/// </summary>
internal sealed partial class FileWakes : IDisposable
{
    private const uint InModify = 0x2;
    private const uint InQueueOverflow = 0x4000;
    private const uint InIgnored = 0x8000;
    private const uint InOneShot = 0x80000000;
    private const int InNonBlock = 0x800;
    private const int InCloseOnExec = 0x80000;
    private const short PollIn = 0x1;
    private const int EventHeaderBytes = 16;

    private readonly int _fd;
    private readonly ConcurrentDictionary<int, AutoResetEvent> _waiting = new();
    private readonly Thread _thread;
    private volatile bool _stopping;
    private long _overflows;

    private FileWakes(int fd)
    {
        _fd = fd;
        _thread = new Thread(Run) { IsBackground = true, Name = "sysprint inotify wakes" };
        _thread.Start();
    }

    /// <summary>Times the kernel's event queue overflowed (every waiting reader was woken).</summary>
    public long Overflows => Interlocked.Read(ref _overflows);

    /// <summary>A new instance, or null with the reason when inotify cannot be used here.</summary>
    public static FileWakes? TryCreate(out string? error)
    {
        int fd = inotify_init1(InNonBlock | InCloseOnExec);
        if (fd < 0)
        {
            error = Marshal.GetLastPInvokeErrorMessage();
            return null;
        }

        error = null;
        return new FileWakes(fd);
    }

    /// <summary>
    /// Arms a one-shot watch on the open file: its next write sets <paramref name="wake"/>. Returns
    /// the watch (to <see cref="Disarm"/> when the reader ends), or -1 when it cannot be armed.
    /// </summary>
    public int Arm(SafeFileHandle file, AutoResetEvent wake)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(wake);
        string path = "/proc/self/fd/" + file.DangerousGetHandle().ToString(CultureInfo.InvariantCulture);
        int watch = inotify_add_watch(_fd, path, InModify | InOneShot);
        if (watch >= 0)
        {
            _waiting[watch] = wake;
        }

        return watch;
    }

    /// <summary>Removes a watch armed and not fired (its reader ended).</summary>
    public void Disarm(int watch)
    {
        if (watch >= 0 && _waiting.TryRemove(watch, out _))
        {
            _ = inotify_rm_watch(_fd, watch);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join(TimeSpan.FromSeconds(5));
        _ = close(_fd);
    }

    private void Run()
    {
        byte[] buffer = new byte[64 * 1024];
        var poll = new PollFd { Fd = _fd, Events = PollIn };
        while (!_stopping)
        {
            poll.Revents = 0;
            if (Poll(ref poll, 1, 250) <= 0)
            {
                continue;
            }

            int read = (int)Read(_fd, ref MemoryMarshal.GetArrayDataReference(buffer), buffer.Length);
            for (int at = 0; read > 0 && at + EventHeaderBytes <= read;)
            {
                int watch = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(at));
                uint mask = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(at + 4));
                int nameBytes = (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(at + 12));
                at += EventHeaderBytes + nameBytes;
                if ((mask & InQueueOverflow) != 0)
                {
                    // Events were lost: every waiting reader looks at its file.
                    Interlocked.Increment(ref _overflows);
                    foreach (AutoResetEvent waiting in _waiting.Values)
                    {
                        Set(waiting);
                    }

                    continue;
                }

                // A one-shot watch fires once, then the kernel removes it (IN_IGNORED follows).
                if (_waiting.TryRemove(watch, out AutoResetEvent? wake) && (mask & InIgnored) == 0)
                {
                    Set(wake);
                }
            }
        }
    }

    private static void Set(AutoResetEvent wake)
    {
        try
        {
            wake.Set();
        }
        catch (ObjectDisposedException)
        {
            // Its reader ended meanwhile.
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int inotify_init1(int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int inotify_add_watch(int fd, string path, uint mask);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int inotify_rm_watch(int fd, int watch);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(ref PollFd fds, nuint count, int timeout);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, ref byte buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}

using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Sysprint.Diagnostics;
using Sysprint.Storage;

namespace Sysprint.Agent.Sinks;

/// <summary>
/// Appends each alert's JSON as one line to a file (<c>--alerts-jsonl FILE</c>), in one
/// <c>O_APPEND</c> write so that several writers never interleave inside a line.
/// </summary>
/// <remarks>
/// The sink always writes to the path it was given. Before each line it checks that its open file
/// is still at that path: after logrotate's <c>create</c> (the file renamed, a new one made) or a
/// deletion it opens the path again; after <c>copytruncate</c> the append lands at the new end.
/// The file's folder must exist when the sink is made (an agent must not make folders the
/// operator did not plan, with the wrong owner); a missing one is an error naming it.
/// </remarks>
/// <remarks>
/// A crash after the line was written but before the outbox recorded it sends the alert again.
/// At open the sink reads the ids of the last lines of the file and does not write those again,
/// so the file holds each alert once.
/// </remarks>
public sealed partial class JsonLinesSink : IAlertSink
{
    private const int TailBytes = 256 * 1024;

    /// <summary>Ids remembered as written, beyond which the oldest are forgotten.</summary>
    private const int RememberedIds = 4096;

    private readonly Queue<string> _recentOrder = new();

    private readonly string _path;
    private SafeFileHandle? _file;
    private HashSet<string>? _recent;

    public JsonLinesSink(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = Path.GetFullPath(path);
        Name = "jsonl:" + _path;
        string? directory = Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            throw new SysprintException(ErrorKind.InputMissing,
                $"{_path}: the folder of the alert file does not exist: create it (install -d {directory}) or name another file");
        }
    }

    public string Name { get; }

    public Task DeliverAsync(OutboxAlert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (_file is not null && !StillAtPath(_file))
        {
            // Rotated (create) or removed: from now on the lines go to a file at the given path.
            Close();
        }

        if (_file is null)
        {
            Open();
        }

        if (_recent!.Contains(alert.Id))
        {
            return Task.CompletedTask;
        }

        byte[] line = Encoding.UTF8.GetBytes(alert.Json + "\n");
        try
        {
            Append(_file!, line);
        }
        catch (IOException)
        {
            // Reopen next time: the file may have been rotated or its disk replaced.
            Close();
            throw;
        }

        Remember(alert.Id);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }

    private void Open()
    {
        if (_recent is null)
        {
            _recent = new HashSet<string>(StringComparer.Ordinal);
            foreach (string id in RecentIds(_path))
            {
                Remember(id);
            }
        }

        int fd = OpenAppend(_path, OAppend | OCreat | OWronly | OCloexec, 0b110_110_110);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot open {_path}: {new Win32Exception(errno).Message}");
        }

        _file = new SafeFileHandle(fd, ownsHandle: true);
        if (!EndsWithNewline(_path))
        {
            // A line cut short (SIGKILL can end a write at a page boundary, or a disk filled up): it is
            // the last line, and its alert was never marked delivered, so it is written again whole.
            // Cut it off rather than leave half an alert in the file.
            CutPartialLastLine(_path);
        }
    }

    /// <summary>One <c>write</c> of the whole line (O_APPEND: at the file's end, whatever truncated it).</summary>
    private static void Append(SafeFileHandle file, ReadOnlySpan<byte> line)
    {
        while (!line.IsEmpty)
        {
            nint written = Write(file, line, (nuint)line.Length);
            if (written < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EIntr)
                {
                    continue;
                }

                throw new IOException(new Win32Exception(errno).Message);
            }

            line = line[(int)written..];
        }
    }

    /// <summary>True while the open file is the one at the sink's path (not renamed away or deleted).</summary>
    private bool StillAtPath(SafeFileHandle file)
    {
        string? target = new FileInfo("/proc/self/fd/" + file.DangerousGetHandle()).LinkTarget;
        return target is null || string.Equals(target, _path, StringComparison.Ordinal);
    }

    private void Remember(string id)
    {
        if (!_recent!.Add(id))
        {
            return;
        }

        _recentOrder.Enqueue(id);
        if (_recentOrder.Count > RememberedIds)
        {
            _recent.Remove(_recentOrder.Dequeue());
        }
    }

    /// <summary>Truncates the file to just after its last newline (to nothing when it has none).</summary>
    private static void CutPartialLastLine(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var buffer = new byte[4096];
        long end = file.Length;
        while (end > 0)
        {
            int count = (int)Math.Min(buffer.Length, end);
            file.Position = end - count;
            file.ReadExactly(buffer, 0, count);
            int newline = Array.LastIndexOf(buffer, (byte)'\n', count - 1, count);
            if (newline >= 0)
            {
                file.SetLength(end - count + newline + 1);
                return;
            }

            end -= count;
        }

        file.SetLength(0);
    }

    private static bool EndsWithNewline(string path)
    {
        if (!File.Exists(path))
        {
            return true;
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (file.Length == 0)
        {
            return true;
        }

        file.Position = file.Length - 1;
        return file.ReadByte() == '\n';
    }

    private void Close()
    {
        _file?.Dispose();
        _file = null;
    }

    /// <summary>The <c>uuid</c> of each complete line in the file's last <see cref="TailBytes"/>.</summary>
    internal static List<string> RecentIds(string path)
    {
        var ids = new List<string>();
        if (!File.Exists(path))
        {
            return ids;
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        long start = Math.Max(0, file.Length - TailBytes);
        file.Position = start;
        using var reader = new StreamReader(file, Encoding.UTF8);
        if (start > 0)
        {
            reader.ReadLine();
        }

        const string Marker = "\"uuid\":\"";
        while (reader.ReadLine() is { } line)
        {
            int at = line.IndexOf(Marker, StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }

            int from = at + Marker.Length;
            int end = line.IndexOf('"', from);
            if (end > from)
            {
                ids.Add(line[from..end]);
            }
        }

        return ids;
    }

    private const int OWronly = 0x1;
    private const int OCreat = 0x40;
    private const int OAppend = 0x400;
    private const int OCloexec = 0x80000;
    private const int EIntr = 4;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenAppend(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(SafeFileHandle fd, ReadOnlySpan<byte> buffer, nuint count);
}

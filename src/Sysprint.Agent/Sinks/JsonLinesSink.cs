using System.Text;
using Sysprint.Storage;

namespace Sysprint.Agent.Sinks;

/// <summary>
/// Appends each alert's JSON as one line to a file (<c>--alerts-jsonl FILE</c>), in one write so
/// that several writers never interleave inside a line.
/// </summary>
/// <remarks>
/// A crash after the line was written but before the outbox recorded it sends the alert again.
/// At open the sink reads the ids of the last lines of the file and does not write those again,
/// so the file holds each alert once.
/// </remarks>
public sealed class JsonLinesSink : IAlertSink
{
    private const int TailBytes = 256 * 1024;

    /// <summary>Ids remembered as written, beyond which the oldest are forgotten.</summary>
    private const int RememberedIds = 4096;

    private readonly Queue<string> _recentOrder = new();

    private readonly string _path;
    private FileStream? _file;
    private HashSet<string>? _recent;

    public JsonLinesSink(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = Path.GetFullPath(path);
        Name = "jsonl:" + _path;
    }

    public string Name { get; }

    public Task DeliverAsync(OutboxAlert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
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
            _file!.Write(line);
            _file.Flush();
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
        string? directory = Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        if (_recent is null)
        {
            _recent = new HashSet<string>(StringComparer.Ordinal);
            foreach (string id in RecentIds(_path))
            {
                Remember(id);
            }
        }

        _file = new FileStream(_path, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite | FileShare.Delete,
            BufferSize = 0,
        });
        if (_file.Length > 0 && !EndsWithNewline(_path))
        {
            // A line cut short (disk full, power cut): never glue the next alert to it.
            _file.Write("\n"u8);
        }
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

    private static bool EndsWithNewline(string path)
    {
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
}

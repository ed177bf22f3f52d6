using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sysprint.Server.Console;

/// <summary>
/// The log lines around a mismatch, read by the server from the log itself when the administrator
/// allowed its folder (<c>serve --logs-root DIR</c>, repeatable): a log is read only when the file
/// actually opened (its <c>/proc/self/fd</c> link, so every symbolic link and <c>..</c> resolved)
/// lies under one of those folders, and only as a regular file. At most
/// <see cref="MaxScannedBytes"/> are scanned to reach the line, <see cref="Before"/> lines before it
/// and <see cref="After"/> after are returned, each cut at <see cref="MaxLineChars"/> characters.
/// </summary>
internal sealed class LogContext
{
    public const int Before = 3;

    public const int After = 3;

    public const int MaxLineChars = 400;

    public const long MaxScannedBytes = 64L * 1024 * 1024;

    private readonly string[] _roots;

    /// <param name="roots">The allowed folders (resolved to their real paths); none turns log reading off.</param>
    public LogContext(IReadOnlyList<string> roots)
    {
        ArgumentNullException.ThrowIfNull(roots);
        _roots = [.. roots.Select(r => RealPath(r).TrimEnd('/') + "/")];
    }

    public bool Enabled => _roots.Length > 0;

    /// <summary>The lines around <paramref name="line"/> (1-based) of <paramref name="path"/>, or why they cannot be shown.</summary>
    public (IReadOnlyList<(long Number, string Text)>? Lines, string? Reason) Read(string? path, long? line)
    {
        if (!Enabled)
        {
            return (null, "the server reads no log: start it with --logs-root DIR to show the lines of logs under DIR");
        }

        if (path is null || line is not { } target || target < 1 || !path.StartsWith('/'))
        {
            return (null, "the alert names no log file and line");
        }

        FileStream stream;
        try
        {
            string real = RealPath(path);
            if (!Allowed(real))
            {
                return (null, "the log is not under the server's --logs-root");
            }

            // Only a file with content is opened: a FIFO or a device (size 0) would block or never end.
            var info = new FileInfo(real);
            if (!info.Exists || info.Length == 0)
            {
                return (null, "the log is not here (or not a regular file with content)");
            }

            stream = new FileStream(real, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, "the log cannot be read here: " + e.Message);
        }

        using (stream)
        {
            // What was opened, as the kernel names it: a link swapped in since the check is caught here.
            string? opened = new FileInfo(string.Create(CultureInfo.InvariantCulture, $"/proc/self/fd/{stream.SafeFileHandle.DangerousGetHandle()}")).LinkTarget;
            if (opened is null || !Allowed(opened))
            {
                return (null, "the log is not under the server's --logs-root");
            }

            return Scan(stream, target);
        }
    }

    /// <summary>Writes <c>"context": {"lines": [{"n", "text"}], "reason": null}</c> or with <c>lines</c> null and the reason.</summary>
    public void Write(Utf8JsonWriter json, string? path, long? line)
    {
        var (lines, reason) = Read(path, line);
        json.WriteStartObject("context");
        if (lines is null)
        {
            json.WriteNull("lines");
        }
        else
        {
            json.WriteStartArray("lines");
            foreach (var (number, text) in lines)
            {
                json.WriteStartObject();
                json.WriteNumber("n", number);
                json.WriteString("text", text);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        ConsoleJson.WriteString(json, "reason", reason);
        json.WriteEndObject();
    }

    private bool Allowed(string real) => _roots.Any(root => real.StartsWith(root, StringComparison.Ordinal));

    private static (IReadOnlyList<(long, string)>?, string?) Scan(Stream stream, long target)
    {
        var window = new Queue<(long, string)>();
        using var reader = new StreamReader(stream, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, 1 << 16);
        long number = 0;
        var text = new StringBuilder();
        while (number < target + After)
        {
            text.Clear();
            bool any = false;
            int c;
            while ((c = reader.Read()) >= 0 && c != '\n')
            {
                any = true;
                if (text.Length < MaxLineChars)
                {
                    text.Append((char)c);
                }
            }

            if (!any && c < 0)
            {
                break;
            }

            number++;
            if (number >= target - Before)
            {
                window.Enqueue((number, Diagnostics.Printable.Escape(text.ToString())));
            }

            if (stream.Position > MaxScannedBytes && number < target - Before)
            {
                return (null, string.Create(CultureInfo.InvariantCulture, $"line {target} lies beyond the first {MaxScannedBytes / (1024 * 1024)} MiB of the log"));
            }
        }

        return number < target
            ? (null, string.Create(CultureInfo.InvariantCulture, $"the log has {number} lines, not {target} (changed since the alert?)"))
            : ([.. window], null);
    }

    private static string RealPath(string path)
    {
        var info = new FileInfo(path);
        FileSystemInfo? target = info.LinkTarget is null ? null : info.ResolveLinkTarget(returnFinalTarget: true);
        string full = Path.GetFullPath(target?.FullName ?? path);
        // Resolve each folder too: a link in a parent folder must not lead out of a root.
        string? parent = Path.GetDirectoryName(full);
        if (parent is null || parent == "/")
        {
            return full;
        }

        return Path.Combine(RealPath(parent), Path.GetFileName(full));
    }
}

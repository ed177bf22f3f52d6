namespace Sysprint.Diagnostics;

/// <summary>A log line that does not fit its format, reported as <c>path:line:col: message</c>.</summary>
public sealed class MalformedInputException : SysprintException
{
    public MalformedInputException(string path, long line, int column, string detail)
        : base(ErrorKind.MalformedInput, $"{path}:{line}:{column}: {detail}")
    {
        Path = path;
        Line = line;
        Column = column;
        Detail = detail;
    }

    public string Path { get; }

    public long Line { get; }

    public int Column { get; }

    /// <summary>The message without its location.</summary>
    public string Detail { get; }
}

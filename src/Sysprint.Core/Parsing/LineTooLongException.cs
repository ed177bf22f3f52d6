namespace Sysprint.Parsing;

/// <summary>A line exceeded the reader's limit; the log reader turns it into a located error.</summary>
internal sealed class LineTooLongException(long line, int limit)
    : Exception($"line {line} is longer than {limit} bytes")
{
    public long Line { get; } = line;

    public int Limit { get; } = limit;
}

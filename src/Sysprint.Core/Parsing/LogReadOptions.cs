namespace Sysprint.Parsing;

/// <summary>How a log is read.</summary>
public sealed record LogReadOptions
{
    public const int DefaultMaxLineBytes = 1024 * 1024;

    public LogFormat Format { get; init; } = LogFormat.Auto;

    /// <summary>Count and skip lines that do not fit the format instead of failing.</summary>
    public bool SkipMalformed { get; init; }

    /// <summary>Learn names absent from the mapping instead of failing; null means the format's default (on for NtTrace only).</summary>
    public bool? LearnNames { get; init; }

    /// <summary>Longest line accepted (<c>--max-line-bytes</c>).</summary>
    public int MaxLineBytes { get; init; } = DefaultMaxLineBytes;

    /// <summary>Size of the read buffer; tests shrink it to cross buffer boundaries.</summary>
    public int BufferSize { get; init; } = LineReader.DefaultBufferSize;

    /// <summary>How many skipped-line locations to keep for the report.</summary>
    public int MaxReportedSkips { get; init; } = 5;
}

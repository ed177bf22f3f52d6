namespace Sysprint.Parsing;

/// <summary>How a log is read.</summary>
public sealed record LogReadOptions
{
    public const int DefaultMaxLineBytes = 1024 * 1024;

    /// <summary>Threads alive at once a log may hold (<c>--max-threads</c>): each costs a window in memory.</summary>
    public const int DefaultMaxThreads = 100_000;

    /// <summary>Distinct calls a fingerprint, or the names one run learns, may hold (<c>--max-calls</c>).</summary>
    public const int DefaultMaxCalls = 4096;

    /// <summary>
    /// The most <see cref="MaxCalls"/> may be: a fingerprint gives each call a 16-bit dense id, and a
    /// window-2 fingerprint keeps a bit matrix of calls × calls (512 MiB at this size).
    /// </summary>
    public const int MaxMaxCalls = 65_536;

    public LogFormat Format { get; init; } = LogFormat.Auto;

    /// <summary>Count and skip lines that do not fit the format instead of failing.</summary>
    public bool SkipMalformed { get; init; }

    /// <summary>Learn names absent from the mapping instead of failing; null means the format's default (on for NtTrace only).</summary>
    public bool? LearnNames { get; init; }

    /// <summary>Longest line accepted (<c>--max-line-bytes</c>).</summary>
    public int MaxLineBytes { get; init; } = DefaultMaxLineBytes;

    /// <summary>Most threads alive at once; one more is an error naming <c>--max-threads</c>.</summary>
    public int MaxThreads { get; init; } = DefaultMaxThreads;

    /// <summary>Most distinct calls in a fingerprint learnt, and most new names learnt in one run; one more is an error naming <c>--max-calls</c>.</summary>
    public int MaxCalls { get; init; } = DefaultMaxCalls;

    /// <summary>Size of the read buffer; tests shrink it to cross buffer boundaries.</summary>
    public int BufferSize { get; init; } = LineReader.DefaultBufferSize;

    /// <summary>How many skipped-line locations to keep for the report.</summary>
    public int MaxReportedSkips { get; init; } = 5;
}

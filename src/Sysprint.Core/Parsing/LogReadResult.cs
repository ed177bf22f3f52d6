using Sysprint.Diagnostics;

namespace Sysprint.Parsing;

/// <summary>What reading one log found, besides the calls handed to the sink.</summary>
public sealed class LogReadResult
{
    public required string Path { get; init; }

    public LogFormat Format { get; set; }

    public long Lines { get; set; }

    public long Bytes { get; set; }

    public long Syscalls { get; set; }

    /// <summary>Lines of the traced program's own output mixed into the trace (strace to stderr).</summary>
    public long ForeignLines { get; set; }

    /// <summary>Lines skipped as malformed (lenient mode only).</summary>
    public long SkippedLines { get; set; }

    /// <summary>The first few skipped lines' locations.</summary>
    public List<InputLocation> FirstSkipped { get; } = [];

    /// <summary>The program of the first <c>execve</c> (for <c>--profile auto</c>), when the log shows one.</summary>
    public string? FirstProgram { get; set; }
}

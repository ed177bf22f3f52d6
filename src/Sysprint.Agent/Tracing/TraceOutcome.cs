using Sysprint.Model;

namespace Sysprint.Agent.Tracing;

/// <summary>How a traced run went.</summary>
/// <param name="ExitCode">The command's exit status (128 + N when killed by signal N); null when attached to a process.</param>
/// <param name="Signalled">The pids stopped or killed because of the anomaly.</param>
public sealed record TraceOutcome(
    int? ExitCode,
    long Syscalls,
    long Lines,
    long SkippedLines,
    bool Anomalous,
    long MismatchCount,
    IReadOnlyList<Mismatch> Mismatches,
    int Alerts,
    IReadOnlyList<int> Signalled);

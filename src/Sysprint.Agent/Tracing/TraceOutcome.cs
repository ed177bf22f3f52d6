using Sysprint.Model;
using Sysprint.Parsing;

namespace Sysprint.Agent.Tracing;

/// <summary>How a traced run went.</summary>
/// <param name="ExitCode">The command's exit status (128 + N when killed by signal N); null when attached to a process.</param>
/// <param name="Signalled">The pids stopped or killed because of the anomaly.</param>
/// <param name="Denied">Calls that did not run because they were anomalous (<c>--on-anomaly deny</c>).</param>
/// <param name="Undeniable">Anomalous calls that ran under deny because a program cannot survive their failing (exit, exit_group, the signal returns, restart_syscall); alerted all the same.</param>
/// <param name="Read">What reading the trace found (lines, skipped lines, the first program).</param>
public sealed record TraceOutcome(
    int? ExitCode,
    LogReadResult Read,
    long Syscalls,
    double Score,
    bool Anomalous,
    long MismatchCount,
    IReadOnlyList<Mismatch> Mismatches,
    int Alerts,
    IReadOnlyList<int> Signalled,
    long Denied = 0,
    long Undeniable = 0);

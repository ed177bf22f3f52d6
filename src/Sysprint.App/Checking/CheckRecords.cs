using Sysprint.Engine;
using Sysprint.Mapping;
using Sysprint.Storage;

namespace Sysprint.App.Checking;

/// <summary>
/// The one place a verdict becomes a stored check (and, when anomalous, its alert in the alert
/// history), whether <c>check</c> read a log or <c>run</c>/<c>attach</c> traced a process.
/// </summary>
public static class CheckRecords
{
    /// <summary>Distinct mismatches kept with a check in the store.</summary>
    public const int StoredMismatches = 200;

    /// <summary>The check as the store keeps it.</summary>
    /// <param name="log">The log's full path, or the traced command's name.</param>
    /// <param name="source">What checked it: one of <see cref="AlertSources"/> (check, run, attach).</param>
    public static CheckRecord From(CheckOutcome outcome, SyscallTable table, string log, string? vm, string? host, string source, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(source);
        return new CheckRecord(log, vm, outcome.Profile, outcome.Detector, outcome.Anomalous, outcome.Syscalls, outcome.MismatchCount, outcome.Score,
            CheckReport.Summary(outcome, table), CheckReport.DetailsJson(outcome, table, StoredMismatches), time)
        {
            Source = source,
            Host = host,
        };
    }

    /// <summary>Records the check; returns its alert's sequence number in the history, or 0 when normal.</summary>
    public static long Record(IFingerprintStore store, CheckOutcome outcome, SyscallTable table, string log, string? vm, string? host, string source)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.RecordCheck(From(outcome, table, log, vm, host, source, DateTimeOffset.UtcNow));
    }
}

using System.Runtime.ExceptionServices;
using Sysprint.Diagnostics;
using Sysprint.Engine;
using Sysprint.Integrity;
using Sysprint.Mapping;
using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.App.Checking;

/// <summary>
/// Checking logs against a store's fingerprints (<c>check</c>): scored on every core, a batch at a
/// time, each batch recorded (checks and their alerts, one transaction) before it is handed back, so
/// a verdict a front end shows is a check the store keeps.
/// </summary>
public sealed class CheckService
{
    private readonly IFingerprintStore _store;
    private readonly SyscallTable _table;
    private readonly CheckRunner _runner;

    /// <param name="verifier">When set, every profile's seal is verified before its fingerprint is used.</param>
    public CheckService(IFingerprintStore store, SyscallTable table, LogReadOptions options, SealVerifier? verifier)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(table);
        _store = store;
        _table = table;
        _runner = new CheckRunner(store, table, options) { Verifier = verifier };
    }

    /// <summary>
    /// Checks <paramref name="paths"/> as <paramref name="request"/> says, handing back one recorded
    /// batch at a time in the order of the inputs. A log that is malformed or cannot be read is in
    /// its batch's <see cref="CheckBatch.LogErrors"/>; any other failure (a profile, the store, a
    /// seal) ends the checks: the logs before it are recorded and handed back with it as
    /// <see cref="CheckBatch.Failure"/>, and no batch follows.
    /// </summary>
    /// <param name="host">This host's name, kept with each check.</param>
    public IEnumerable<CheckBatch> CheckAll(IReadOnlyList<string> paths, CheckRequest request, string host)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(request);
        foreach (IReadOnlyList<CheckResult> batch in _runner.CheckAll(paths, request.Profile, request.Threshold, request.Detector))
        {
            var outcomes = new List<CheckOutcome>(batch.Count);
            var records = new List<CheckRecord>(batch.Count);
            var errors = new List<SysprintException>();
            ExceptionDispatchInfo? failure = null;
            foreach (CheckResult result in batch)
            {
                if (result.Outcome is { } outcome)
                {
                    outcomes.Add(outcome);
                    records.Add(CheckRecords.From(outcome, _table, Path.GetFullPath(outcome.Path), request.Vm, host, AlertSources.Check, DateTimeOffset.UtcNow));
                }
                else if (result.Error!.SourceException is SysprintException { Kind: ErrorKind.MalformedInput or ErrorKind.InputMissing } e)
                {
                    errors.Add(e);
                }
                else
                {
                    failure = result.Error;
                    break;
                }
            }

            _store.RecordChecks(records);
            yield return new CheckBatch(outcomes, errors, failure);
            if (failure is not null)
            {
                yield break;
            }
        }
    }
}

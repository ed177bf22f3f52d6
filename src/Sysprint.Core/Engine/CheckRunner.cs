using Sysprint.Detection;
using Sysprint.Mapping;
using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.Engine;

/// <summary>
/// Checks logs against the fingerprints of a store: one log at a time (<see cref="Check"/>), or
/// many on every core, in batches handed back in the order of the inputs (<see cref="CheckAll"/>).
/// </summary>
public sealed class CheckRunner
{
    /// <summary>Most logs scored ahead of the batch being handed back.</summary>
    public const int MaxBatch = 256;

    private readonly Lock _storeLock = new();
    private readonly IFingerprintStore _store;
    private readonly SyscallTable _table;
    private readonly LogReadOptions _options;
    private readonly ScorerOptions _scoring;
    private readonly Dictionary<string, LoadedProfile> _profiles = new(StringComparer.Ordinal);

    public CheckRunner(IFingerprintStore store, SyscallTable table, LogReadOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _table = table;
        _options = options;
        _scoring = new ScorerOptions { MaxThreads = options.MaxThreads, MaxCalls = options.MaxCalls };
    }

    /// <summary>When set, every profile's seal is verified before its fingerprint is used.</summary>
    public Integrity.SealVerifier? Verifier { get; init; }

    /// <summary>Checks one log against <paramref name="profileName"/> (or its program's profile for <see cref="Trainer.AutoProfile"/>).</summary>
    /// <param name="threshold">Score tolerated; null uses the profile's own.</param>
    /// <param name="detector">One of <see cref="Detectors.All"/>; null uses the profile's own.</param>
    public CheckOutcome Check(string path, string profileName, double? threshold, string? detector = null)
    {
        ArgumentNullException.ThrowIfNull(profileName);
        string name = profileName == Trainer.AutoProfile ? ProgramProfile.Find(path, _options) : profileName;
        LoadedProfile profile;
        Detector chosen;
        double tolerated;
        NormalRuns normal;

        // The store is one connection: profiles and window counts load under one lock, once each.
        lock (_storeLock)
        {
            profile = Profile(name);
            (chosen, tolerated) = profile.Choose(detector, threshold);
            normal = profile.NormalRuns(chosen);
        }

        var sink = new ScoringSink(chosen, normal, _scoring);
        LogReadResult read = LogReader.Read(path, _table, _options, sink);
        if (_table.NewlyLearnt.Count > 0)
        {
            lock (_storeLock)
            {
                _store.SaveNames([.. _table.NewlyLearnt]);
                _table.MarkLearntSaved();
            }
        }

        DetectorScore scored = sink.Finish();
        return new CheckOutcome(path, profile.Name, chosen.Kind, tolerated, read, scored.Count, scored.Details, scored.Truncated, scored.Score);
    }

    /// <summary>
    /// Checks <paramref name="paths"/> on every core: batches of logs are scored in parallel (the
    /// next batch while the caller handles this one) and handed back one batch at a time, each in
    /// the order of the inputs, so the caller can record a whole batch in one transaction before it
    /// prints any of its verdicts. A log that fails yields its exception in its place. Logs whose
    /// names are learnt as they are read (NtTrace, <c>--learn-names</c>) are checked one at a time.
    /// </summary>
    public IEnumerable<IReadOnlyList<CheckResult>> CheckAll(IReadOnlyList<string> paths, string profileName, double? threshold, string? detector = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(profileName);
        bool learnsNames = _options.Format is not (LogFormat.Adfa or LogFormat.Unm) && (_options.LearnNames == true || _options.Format is LogFormat.NtTrace);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = learnsNames ? 1 : Environment.ProcessorCount };

        // Small batches first, so the first verdicts come at once; then larger ones, fewer commits.
        int size = 8;
        int start = 0;
        Task<CheckResult[]>? next = paths.Count == 0 ? null : Score(0, Math.Min(size, paths.Count));
        try
        {
            while (next is not null)
            {
                CheckResult[] batch = next.GetAwaiter().GetResult();
                start += batch.Length;
                size = Math.Min(size * 2, MaxBatch);
                next = start < paths.Count ? Score(start, Math.Min(size, paths.Count - start)) : null;
                yield return batch;
            }
        }
        finally
        {
            // A caller that stops early (an error it cannot pass over) lets the batch in flight finish
            // before it closes the store; every log's failure is already inside its result.
            ((IAsyncResult?)next)?.AsyncWaitHandle.WaitOne();
        }

        Task<CheckResult[]> Score(int from, int count) => Task.Run(() =>
        {
            var results = new CheckResult[count];
            Parallel.For(0, count, parallel, i =>
            {
                string path = paths[from + i];
                try
                {
                    results[i] = new CheckResult(path, Check(path, profileName, threshold, detector), null);
                }
                catch (Exception e)
                {
                    // Handed back in the log's place: the caller reports or rethrows it in input order.
                    results[i] = new CheckResult(path, null, System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e));
                }
            });
            return results;
        });
    }

    private LoadedProfile Profile(string name)
    {
        if (!_profiles.TryGetValue(name, out LoadedProfile? profile))
        {
            profile = LoadedProfile.Load(_store, name, _table, Verifier);
            _profiles[name] = profile;
        }

        return profile;
    }
}

/// <summary>One log of <see cref="CheckRunner.CheckAll"/>: its outcome, or what it threw.</summary>
public sealed record CheckResult(string Path, CheckOutcome? Outcome, System.Runtime.ExceptionServices.ExceptionDispatchInfo? Error);

using Sysprint.Diagnostics;
using Sysprint.Engine;
using Sysprint.Mapping;
using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.App.Learning;

/// <summary>
/// Learning normal logs into a store's fingerprints (<c>train</c>): one log at a time, so a front
/// end can show progress, then a summary that says how far each profile has settled.
/// </summary>
public sealed class LearnService
{
    /// <summary>Logs in a row that must add nothing before a fingerprint is called stable.</summary>
    public const int StableAfter = 3;

    /// <summary>Logs read ahead per core while one is learnt.</summary>
    public const int ReadAheadPerCore = 4;

    private readonly IFingerprintStore _store;
    private readonly Trainer _trainer;

    public LearnService(IFingerprintStore store, SyscallTable table, LogReadOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _trainer = new Trainer(store, table, options);
    }

    /// <summary>
    /// Learns <paramref name="path"/> into <paramref name="profile"/> (or its program's profile for
    /// <see cref="Trainer.AutoProfile"/>). A log that is malformed or cannot be read is a failed
    /// result, not an exception, so the other logs go on; any other failure (the store, a window that
    /// does not fit the profile) throws.
    /// </summary>
    /// <param name="window">The window of a profile created now; null for the default.</param>
    public LearnResult Learn(string path, string profile, int? window)
    {
        try
        {
            return new LearnResult(path, _trainer.Learn(path, profile, window), null);
        }
        catch (SysprintException e) when (e.Kind is ErrorKind.MalformedInput or ErrorKind.InputMissing)
        {
            return new LearnResult(path, null, e);
        }
    }

    /// <summary>
    /// Learns <paramref name="paths"/> in their order, as <see cref="Learn"/> one after another
    /// would, yielding each result in turn; the logs ahead are read on the other cores meanwhile
    /// (at most <see cref="ReadAheadPerCore"/> per core, so memory stays bounded). A log that may
    /// teach the mapping names (NtTrace) makes the rest of the run one log at a time, since names are
    /// numbered in the order they are first seen.
    /// </summary>
    public IEnumerable<LearnResult> LearnAll(IReadOnlyList<string> paths, string profile, int? window)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(profile);
        int ahead = Environment.ProcessorCount * ReadAheadPerCore;
        if (Environment.ProcessorCount < 2 || paths.Count < 2)
        {
            foreach (string path in paths)
            {
                yield return Learn(path, profile, window);
            }

            yield break;
        }

        Trainer.ReadAhead reader = _trainer.StartReadAhead(profile, window);
        var pending = new Queue<Task<PreparedLog>>();
        int next = 0;
        bool inTurn = false;
        try
        {
            for (int i = 0; i < paths.Count; i++)
            {
                while (!inTurn && next < paths.Count && pending.Count < ahead)
                {
                    string path = paths[next++];
                    pending.Enqueue(Task.Run(() => reader.Prepare(path)));
                }

                LearnResult result;
                if (inTurn)
                {
                    result = Learn(paths[i], profile, window);
                }
                else
                {
                    PreparedLog prepared = pending.Dequeue().GetAwaiter().GetResult();
                    if (prepared.NeedsTurn)
                    {
                        // The logs read ahead may be reading the mapping this log is about to teach:
                        // let them finish, drop what they read, and go on one log at a time.
                        inTurn = true;
                        Task.WaitAll([.. pending]);
                        pending.Clear();
                        next = i + 1;
                        result = Learn(paths[i], profile, window);
                    }
                    else
                    {
                        result = LearnPrepared(prepared, window);
                    }
                }

                yield return result;
            }
        }
        finally
        {
            // A caller that stops early (or a store error) must not leave reads running behind it.
            foreach (Task<PreparedLog> task in pending)
            {
                task.Wait();
            }
        }
    }

    private LearnResult LearnPrepared(PreparedLog prepared, int? window)
    {
        try
        {
            return new LearnResult(prepared.Path, _trainer.Learn(prepared, window), null);
        }
        catch (SysprintException e) when (e.Kind is ErrorKind.MalformedInput or ErrorKind.InputMissing)
        {
            return new LearnResult(prepared.Path, null, e);
        }
    }

    /// <summary>
    /// What <paramref name="results"/> did in all, and for each profile they learnt into, its size
    /// and how many logs in a row added nothing, judged over the profile's whole history in the
    /// store (learning one log at a time, from cron say, still tells when it settled).
    /// </summary>
    public LearnSummary Summarise(IReadOnlyList<LearnResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var outcomes = new List<TrainOutcome>(results.Count);
        int failed = 0;
        foreach (LearnResult result in results)
        {
            if (result.Outcome is { } outcome)
            {
                outcomes.Add(outcome);
            }
            else
            {
                failed++;
            }
        }

        int learnt = outcomes.Count(o => !o.AlreadyLearnt);
        long syscalls = outcomes.Where(o => !o.AlreadyLearnt).Sum(o => o.Log.Syscalls);
        var profiles = new List<ProfileStability>();
        foreach (var group in outcomes.GroupBy(o => o.Profile).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            TrainOutcome last = group.Last();
            ProfileInfo? info = _store.FindProfile(group.Key);
            IReadOnlyList<LearntLog> history = info is null ? [] : _store.ListLearntLogs(info.Id);
            int quietRun = 0;
            for (int i = history.Count - 1; i >= 0 && history[i].NewTransitions == 0; i--)
            {
                quietRun++;
            }

            profiles.Add(new ProfileStability(group.Key, last.FingerprintSize, last.KnownCalls, history.Count, quietRun,
                history.Count == 0 ? 0 : history[^1].NewTransitions));
        }

        return new LearnSummary(results.Count, learnt, outcomes.Count - learnt, failed, syscalls, profiles);
    }
}

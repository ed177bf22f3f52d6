using System.Globalization;
using Sysprint.Detection;
using Sysprint.Diagnostics;
using Sysprint.Fleet;
using Sysprint.Model;
using Sysprint.Storage;

namespace Sysprint.App.Fleet;

/// <summary>
/// Learning across the fleet: learns the logs staged in each closed learning window into its
/// profile, once. Called by every <c>serve</c> instance every few seconds and by
/// <c>sysprint profile --learn-from-fleet --close</c>; a window is claimed by one caller at a time,
/// and each log is learnt by its content's SHA-256, so a log learnt already (by another claimant
/// that died half way, by <c>train</c>, by another window) is not learnt twice.
/// </summary>
public static class FleetLearning
{
    /// <summary>After this long, a claim whose claimant has not finished is taken over.</summary>
    public static readonly TimeSpan ClaimStaleAfter = TimeSpan.FromMinutes(5);

    /// <summary>What learning one window did.</summary>
    /// <param name="Staged">Distinct logs staged in the window.</param>
    /// <param name="Learnt">Those the profile did not hold yet, learnt now.</param>
    /// <param name="NewTransitions">Grams they added to the fingerprint.</param>
    /// <param name="Problem">Why nothing was learnt (the profile was deleted), or null.</param>
    public sealed record Outcome(LearningWindow Window, int Staged, int Learnt, int NewTransitions, string? Problem);

    /// <summary>The longest learning window.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(30);

    /// <summary>
    /// Opens a learning window for <paramref name="group"/>'s agents to teach <paramref name="profile"/>
    /// for <paramref name="duration"/> from <paramref name="now"/>.
    /// </summary>
    /// <exception cref="SysprintException">No such profile (66); a duration out of range, or a window already open for the group and profile (64).</exception>
    public static async Task<LearningWindow> OpenAsync(IFleetStore store, string group, string profile, TimeSpan duration, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (duration <= TimeSpan.Zero || duration > MaxDuration)
        {
            throw new SysprintException(ErrorKind.Usage, string.Create(CultureInfo.InvariantCulture,
                $"a learning window lasts from 1 s to {MaxDuration.TotalDays} days, not {duration.TotalSeconds} s"));
        }

        if (store.Fingerprints.FindProfile(profile) is null)
        {
            throw new SysprintException(ErrorKind.InputMissing,
                $"{store.Location}: no profile '{profile}' (profiles: {string.Join(", ", store.Fingerprints.ListProfiles().Select(p => p.Name).DefaultIfEmpty("none"))}): learn one first, a window adds to it");
        }

        // The group's agents must receive the profile to check their logs against it.
        IReadOnlyDictionary<string, IReadOnlyList<string>> assigned = await store.ListProfileGroupsAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string>? groups = assigned.GetValueOrDefault(profile);
        if (!ProfileGroups.Reaches(groups, group))
        {
            throw new SysprintException(ErrorKind.Usage,
                $"profile '{profile}' goes to {ProfileGroups.Describe(groups)}, not to group '{group}': its agents do not check against it")
            {
                Remedy = RemedyKind.AssignProfileToGroup,
            };
        }

        LearningWindow? window = await store.LearningWindows.OpenAsync(group, profile, now, now + duration, cancellationToken).ConfigureAwait(false);
        if (window is not null)
        {
            return window;
        }

        IReadOnlyList<LearningWindow> all = await store.LearningWindows.ListAsync(cancellationToken).ConfigureAwait(false);
        LearningWindow? open = all.FirstOrDefault(w => w.Group == group && w.Profile == profile && w.Learnt is null);
        throw new SysprintException(ErrorKind.Usage, string.Create(CultureInfo.InvariantCulture,
            $"group '{group}' already has learning window #{open?.Id} for profile '{profile}' (until {open?.Closes:yyyy-MM-ddTHH:mm:ssZ}): close it first")) { Remedy = RemedyKind.CloseLearningWindow };
    }

    /// <summary>Learns every window that is due (closed and not learnt yet); returns what each one did.</summary>
    public static async Task<IReadOnlyList<Outcome>> LearnDueAsync(IFleetStore store, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var done = new List<Outcome>();
        while (await store.LearningWindows.ClaimDueAsync(now, ClaimStaleAfter, cancellationToken).ConfigureAwait(false) is { } window)
        {
            IReadOnlyList<StagedLog> staged = await store.LearningWindows.StagedAsync(window.Id, cancellationToken).ConfigureAwait(false);
            Outcome outcome = Learn(store.Fingerprints, window, staged, now);
            if (await store.LearningWindows.MarkLearntAsync(window.Id, outcome.Learnt, outcome.NewTransitions, now, cancellationToken).ConfigureAwait(false))
            {
                done.Add(outcome);
            }
        }

        return done;
    }

    /// <summary>The path a log learnt from the fleet is recorded under: its host, VM and path there, and the window.</summary>
    public static string Origin(string host, LearningUpload log, long windowId)
    {
        ArgumentNullException.ThrowIfNull(log);
        return string.Create(CultureInfo.InvariantCulture, $"fleet window #{windowId}: {host} vm {log.Vm} {log.Log}");
    }

    private static Outcome Learn(IFingerprintStore store, LearningWindow window, IReadOnlyList<StagedLog> staged, DateTimeOffset now)
    {
        ProfileInfo? profile = store.FindProfile(window.Profile);
        if (profile is null)
        {
            return new Outcome(window, staged.Count, 0, 0, $"profile '{window.Profile}' no longer exists");
        }

        Fingerprint fingerprint = store.LoadFingerprint(profile);
        int learnt = 0;
        int added = 0;
        foreach (StagedLog log in staged)
        {
            LearningUpload upload = log.Upload;
            if (store.FindLearntLog(profile.Id, upload.Sha256) is not null)
            {
                continue;
            }

            int before = fingerprint.TransitionCount;
            var newGrams = new List<int[]>();
            foreach (string text in upload.Grams)
            {
                int[] gram = Fingerprint.ParseGram(text);
                if (gram.Length >= 1 && gram.Length <= profile.Window && fingerprint.Add(gram))
                {
                    newGrams.Add(gram);
                }
            }

            SubstringModel? windows = null;
            if (upload.Windows is { } bytes)
            {
                windows = new SubstringModel(capacity: 64);
                windows.AddLog(bytes, 0);
            }

            // Counted as train counts them: transitions, not the grams of a thread's first call.
            int transitions = fingerprint.TransitionCount - before;
            store.LearnLog(profile, new LearntLog(Origin(log.Host, upload, window.Id), 0, upload.Sha256, upload.Syscalls, transitions,
                fingerprint.TransitionCount, now), newGrams, [], windows);
            learnt++;
            added += transitions;
        }

        return new Outcome(window, staged.Count, learnt, added, null);
    }
}

using Sysprint.Integrity;
using Sysprint.Parsing;

namespace Sysprint.Agent.Watch;

/// <summary>What <see cref="SpoolWatcher"/> watches and how.</summary>
public sealed record WatchSettings
{
    /// <summary>Spool directories: logs of VM <c>NAME</c> arrive under <c>SPOOL/NAME/</c>, at any depth.</summary>
    public required IReadOnlyList<string> Spools { get; init; }

    /// <summary>The profile logs are checked against; <c>auto</c> names it after each log's first <c>execve</c>.</summary>
    public string Profile { get; init; } = Storage.ProfileInfo.DefaultName;

    /// <summary>Profiles for some VMs, by VM name, instead of <see cref="Profile"/>.</summary>
    public IReadOnlyDictionary<string, string> VmProfiles { get; init; } = new Dictionary<string, string>();

    public string? Detector { get; init; }

    /// <summary>When set (<c>--trust</c>), each profile's seal is verified before its fingerprint is used.</summary>
    public SealVerifier? Verifier { get; init; }

    public double? Threshold { get; init; }

    public LogFormat Format { get; init; } = LogFormat.Auto;

    /// <summary>Count and skip malformed lines (the default: a live agent must not stop checking a log for one odd line).</summary>
    public bool SkipMalformed { get; init; } = true;

    public int MaxLineBytes { get; init; } = LogReadOptions.DefaultMaxLineBytes;

    /// <summary>Alerts raised per log at most; further mismatches are counted only.</summary>
    public int MaxAlertsPerLog { get; init; } = 100;

    public TailOptions Tail { get; init; } = new();

    /// <summary>
    /// How often the spools are listed for new files. With <see cref="Inotify"/> this is the
    /// fallback: new files and appends are seen at once, and the rescan finds what inotify missed.
    /// </summary>
    public TimeSpan ScanInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// See new files and appends through inotify (a <see cref="FileSystemWatcher"/> per spool) as
    /// they happen, besides the rescan and the readers' polls. Where inotify cannot be used (its
    /// limits reached, a file system without it) or its queue overflows, the rescan still finds
    /// every file.
    /// </summary>
    public bool Inotify { get; init; } = true;

    /// <summary>
    /// How often the store is asked whether a loaded profile changed (<c>train</c>, <c>import</c>,
    /// <c>profile</c>, <c>seal</c>); a change is used once seen twice in a row. Zero: never (SIGHUP only).
    /// </summary>
    public TimeSpan ProfilePoll { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long alerts delivered to every sink, and finished files gone from the spool, are kept in
    /// the agent's tables (zero: forever). Pruned at start and every hour.
    /// </summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(30);

    /// <summary>
    /// A VM whose logs did not grow for this long while one of them has not reached its end (a
    /// thread in it has not exited) raises an internal alert naming it, once per silence. Zero: never.
    /// </summary>
    public TimeSpan SilentVmAfter { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>How often progress is written to the store.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A compressed file is read once it has not changed for this long (its writer is done).</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Follow symbolic links wherever they lead. Off by default: a link in a VM's folder that leads
    /// outside it (or a VM folder that leads outside its spool) is not read, only reported, since a
    /// VM could plant one to a host file (<c>/etc/shadow</c>) and have its lines quoted in alerts.
    /// </summary>
    public bool FollowSymlinks { get; init; }

    /// <summary>File names skipped (hidden and temporary files): simple globs with <c>*</c> and <c>?</c>.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [".*", "*.tmp", "*.swp", "*~"];
}

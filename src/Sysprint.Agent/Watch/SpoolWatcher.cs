using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Enumeration;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Sysprint.Agent.Alerts;
using Sysprint.Agent.Hosting;
using Sysprint.Agent.Live;
using Sysprint.Agent.Outbox;
using Sysprint.Agent.Tracing;
using Sysprint.Mapping;
using Sysprint.Storage;

namespace Sysprint.Agent.Watch;

/// <summary>
/// Watches spool directories where VMs' logs arrive (<c>SPOOL/VM/**</c>): lists them every
/// <see cref="WatchSettings.ScanInterval"/>, starts a <see cref="FileTracker"/> for each new log or
/// log that grew, and checkpoints every file's progress in the store. With
/// <see cref="WatchSettings.Inotify"/>, a file created or renamed in a spool is seen at once (the
/// spools are listed again; a new file with no complete line yet is looked at every poll interval
/// until it has one), and a reader at its file's end is woken by the file's next write
/// (<see cref="FileWakes"/>); the periodic rescan and the readers' polls stay, for what inotify
/// cannot report (its queue overflowed, a limit was reached).
/// </summary>
/// <remarks>
/// The spools' watch sees names only (create, rename, delete), not writes: a write event per line
/// written (100 VMs, 200,000 lines a second) cost more CPU than the whole check. Writes are seen
/// through one-shot watches that only a waiting reader arms, so their events are bounded by the
/// readers' wake-ups.
/// </remarks>
/// <remarks>
/// <para>
/// A log's alerts are keyed by its content (the SHA-256 of its first bytes, fixed when first seen),
/// not its path: a log renamed, copied or compressed by rotation keeps its key, so reading it again
/// raises nothing twice, and the outbox drops any alert whose id it already holds.
/// </para>
/// <para>
/// Restart (also after <c>kill -9</c>): a file read to its end before and unchanged since is
/// skipped; any other is read again from its start (its threads' windows rebuilt from the log
/// itself), and only the alerts not raised before go out. That costs a re-read of the files in
/// progress, and needs no thread state in the store.
/// </para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Run disposes the wake event when it returns, after inotify stopped; a late event is a no-op.")]
public sealed class SpoolWatcher
{
    private readonly IFingerprintStore _store;
    private readonly IAgentStore _agentStore;
    private readonly Lock _storeLock = new();
    private readonly SyscallTable _mapping;
    private readonly Dictionary<string, LiveProfile> _profiles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _versions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _changing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _kept = new(StringComparer.Ordinal);
    private readonly Dictionary<long, WatchedFile> _rows = [];
    private readonly Dictionary<long, FileTracker> _active = [];
    private readonly Dictionary<string, (long Size, DateTime Written)> _seen = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<FileTracker> _finished = new();
    private readonly HashSet<string> _missingSpools = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _refused = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private readonly ConcurrentDictionary<string, FileTracker> _following = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FileSystemWatcher> _inotify = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inotifyRefused = new(StringComparer.Ordinal);
    private readonly AutoResetEvent _wake = new(false);
    private readonly Dictionary<string, (string Vm, DateTime Since)> _awaitingLine = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, FileTracker> _live = new();
    private readonly Lock _progressLock = new();
    private readonly Dictionary<string, DateTime> _silenceAlerted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTime> _silentVms = new(StringComparer.Ordinal);
    private long _doneLines;
    private long _doneSyscalls;
    private bool _prepared;
    private long _scans;
    private long _eventScans;
    private long _inotifyOverflows;
    private int _scanAsked;

    /// <param name="store">The fingerprints; used by the watcher's own thread only.</param>
    /// <param name="agentStore">The agent's tables (watched files, agent info); used by the watcher's own thread only.</param>
    public SpoolWatcher(WatchSettings settings, IFingerprintStore store, IAgentStore agentStore, AlertOutbox outbox, AlertFactory factory, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(agentStore);
        ArgumentNullException.ThrowIfNull(outbox);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(logger);
        Settings = settings;
        _store = store;
        _agentStore = agentStore;
        Outbox = outbox;
        Factory = factory;
        Logger = logger;
        _mapping = store.LoadMapping() ?? SyscallTable.Builtin("x86_64");
    }

    public WatchSettings Settings { get; }

    internal AlertOutbox Outbox { get; }

    internal AlertFactory Factory { get; }

    internal ILogger Logger { get; }

    /// <summary>How often the agent's tables are pruned (<see cref="WatchSettings.Retention"/>), after the first time at start.</summary>
    internal static readonly TimeSpan PruneInterval = TimeSpan.FromHours(1);

    /// <summary>
    /// Called on the watcher's thread for each log read to its end (state done), with the profile it
    /// was checked against: the fleet's learning windows take it from there. Must return at once.
    /// </summary>
    internal Action<WatchedFile, string?>? LogDone { get; set; }

    /// <summary>Files being read now.</summary>
    public int ActiveFiles => _active.Count;

    /// <summary>
    /// Scans of the spools so far. A test that asserts nothing more happens after a change waits for
    /// a few more scans (the watcher has looked again), not for a fixed time.
    /// </summary>
    public long Scans => Interlocked.Read(ref _scans);

    /// <summary>How long a new file with no complete line yet is looked at every poll interval (after that, by the rescan only).</summary>
    internal static readonly TimeSpan AwaitLineFor = TimeSpan.FromSeconds(10);

    /// <summary>How often a new file with no complete line yet is looked at again (itself, not the whole spool).</summary>
    internal static readonly TimeSpan AwaitLineEvery = TimeSpan.FromMilliseconds(20);

    /// <summary>Scans made at once because inotify reported a file created or renamed, or a new file awaits its first line (not counted in <see cref="Scans"/>).</summary>
    public long EventScans => Interlocked.Read(ref _eventScans);

    /// <summary>Times inotify reported events lost (its queue overflowed, or a watch failed): the spools were listed again.</summary>
    public long InotifyOverflows => Interlocked.Read(ref _inotifyOverflows) + (Wakes?.Overflows ?? 0);

    /// <summary>inotify for the readers at their file's end (null without inotify): a write wakes them at once.</summary>
    internal FileWakes? Wakes { get; private set; }

    /// <summary>The spools inotify watches now.</summary>
    public int InotifyWatches => _inotify.Count;

    /// <summary>Loads the profiles named in the settings (so that a missing one fails at start) and the watched files.</summary>
    /// <exception cref="Diagnostics.SysprintException">A profile is missing or learnt nothing (66).</exception>
    public void Prepare()
    {
        foreach (string name in Settings.VmProfiles.Values.Prepend(Settings.Profile).Where(n => n != Engine.Trainer.AutoProfile).Distinct(StringComparer.Ordinal))
        {
            // A profile the fleet withdrew is not an error at start: its logs fail, each naming why.
            if (!IsWithdrawn(name))
            {
                Profile(name);
            }
        }

        lock (_storeLock)
        {
            foreach (WatchedFile row in _agentStore.ListWatchedFiles())
            {
                _rows[row.Id] = row;
            }
        }

        _prepared = true;
    }

    /// <summary>
    /// As <see cref="Prepare"/>, but a profile not in the store (yet) is no error: returns why
    /// (an agent of a fleet waits for the server to send it), or null once prepared.
    /// </summary>
    /// <exception cref="Diagnostics.SysprintException">Anything else that <see cref="Prepare"/> refuses (a seal that fails: 77).</exception>
    public string? TryPrepare()
    {
        try
        {
            Prepare();
            return null;
        }
        catch (Diagnostics.SysprintException e) when (e.Kind == Diagnostics.ErrorKind.InputMissing)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// Watches until <paramref name="stop"/>; then stops every reader and writes a last checkpoint.
    /// Calls <see cref="Prepare"/> first if not done.
    /// </summary>
    public void Run(CancellationToken stop)
    {
        if (!_prepared)
        {
            Prepare();
        }

        Info(stopped: false);
        DateTime nextScan = DateTime.MinValue;
        DateTime nextCheckpoint = DateTime.UtcNow + Settings.CheckpointInterval;
        DateTime nextPoll = DateTime.UtcNow + Settings.ProfilePoll;
        DateTime nextPrune = DateTime.MinValue;
        TimeSpan tick = Settings.ScanInterval < Settings.CheckpointInterval ? Settings.ScanInterval : Settings.CheckpointInterval;
        bool polling = Settings.ProfilePoll > TimeSpan.Zero;
        if (polling && Settings.ProfilePoll < tick)
        {
            tick = Settings.ProfilePoll;
        }

        if (Settings.Inotify && Wakes is null)
        {
            Wakes = FileWakes.TryCreate(out string? error);
            if (Wakes is null && Logger.IsEnabled(LogLevel.Warning))
            {
                Logger.LogWarning("inotify cannot be used ({Error}): lines appended are seen by polling every {Poll} ms (poll_interval_ms)",
                    error, (long)Settings.Tail.PollInterval.TotalMilliseconds);
            }
        }

        WaitHandle[] waits = [stop.WaitHandle, _wake];
        DateTime nextLineCheck = DateTime.MinValue;
        while (!stop.IsCancellationRequested)
        {
            DateTime now = DateTime.UtcNow;
            bool asked = Interlocked.Exchange(ref _scanAsked, 0) == 1;
            if (polling && now >= nextPoll)
            {
                if (PollProfiles())
                {
                    // Logs stopped for the new fingerprint start again at once, not at the next scan.
                    ReapFinished();
                    nextScan = now;
                }

                nextPoll = now + Settings.ProfilePoll;
            }

            if (now >= nextScan)
            {
                Scan(stop);
                Interlocked.Increment(ref _scans);
                nextScan = now + Settings.ScanInterval;
            }
            else if (asked)
            {
                // inotify saw a file created or renamed.
                Scan(stop);
                Interlocked.Increment(ref _eventScans);
            }
            else if (_awaitingLine.Count > 0 && now >= nextLineCheck)
            {
                // New files inotify saw, still without a complete line.
                ConsiderAwaiting(stop);
                nextLineCheck = now + AwaitLineEvery;
            }

            ReapFinished();
            if (now >= nextPrune)
            {
                Prune();
                nextPrune = now + PruneInterval;
            }

            if (now >= nextCheckpoint)
            {
                Checkpoint();
                CheckSilence(DateTime.UtcNow);
                nextCheckpoint = now + Settings.CheckpointInterval;
            }

            WaitHandle.WaitAny(waits, AwaitLine(now) && AwaitLineEvery < tick ? AwaitLineEvery : tick);
        }

        StopInotify();
        _wake.Dispose();
        foreach (FileTracker tracker in _active.Values.ToList())
        {
            tracker.Join(TimeSpan.FromSeconds(5));
        }

        ReapFinished();
        Checkpoint();
        Info(stopped: true);
        Wakes?.Dispose();
        Wakes = null;
    }

    /// <summary>The profile by name, loaded once (from any reader's thread).</summary>
    internal LiveProfile Profile(string name)
    {
        lock (_storeLock)
        {
            if (!_profiles.TryGetValue(name, out LiveProfile? profile))
            {
                if (IsWithdrawn(name))
                {
                    throw new Diagnostics.SysprintException(Diagnostics.ErrorKind.InputMissing,
                        $"{_store.Location}: profile '{name}' was withdrawn by the fleet (this host's group no longer receives it): the log is not checked");
                }

                // The version first: a change made while loading shows at the next poll.
                string? version = _store.ProfileVersion(name);
                profile = LiveProfile.Load(_store, name, Settings.Detector, Settings.Threshold, Settings.Verifier, _mapping);
                _profiles[name] = profile;
                _versions[name] = version;
            }

            return profile;
        }
    }

    /// <summary>
    /// Compares each loaded profile's version in the store (<see cref="IFingerprintStore.ProfileVersion"/>)
    /// with the one loaded. A change seen twice in a row (so that a change written in several steps,
    /// as <c>import --replace</c> writes, is whole) is loaded, seal-checked with <c>--trust</c>, and
    /// replaces the old fingerprint; the logs being read against it start again from their start.
    /// A change that cannot be used (its seal fails, the profile was deleted or learnt nothing)
    /// keeps the old fingerprint and raises an internal alert, once per version.
    /// </summary>
    /// <returns>True when readers were stopped to read their logs again.</returns>
    private bool PollProfiles()
    {
        List<KeyValuePair<string, string?>> loaded;
        lock (_storeLock)
        {
            loaded = [.. _versions];
        }

        bool restarted = false;
        foreach (var (name, version) in loaded)
        {
            string? now;
            try
            {
                lock (_storeLock)
                {
                    now = _store.ProfileVersion(name);
                }
            }
            catch (Diagnostics.SysprintException e)
            {
                if (Logger.IsEnabled(LogLevel.Debug))
                {
                    Logger.LogDebug("cannot read the version of profile '{Profile}': {Error}", name, e.Message);
                }

                continue;
            }

            if (now == version)
            {
                _changing.Remove(name);
                _kept.Remove(name);
                continue;
            }

            if (_kept.TryGetValue(name, out string? refused) && refused == now)
            {
                continue;
            }

            if (!_changing.TryGetValue(name, out string? seen) || seen != now)
            {
                _changing[name] = now;
                continue;
            }

            _changing.Remove(name);
            restarted |= Reload(name, now);
        }

        return restarted;
    }

    /// <summary>Whether the fleet withdrew the profile (and it is not in the store): not an error to keep an old fingerprint for.</summary>
    private bool IsWithdrawn(string name)
    {
        lock (_storeLock)
        {
            return _store.GetSetting(Fleet.ProfileSync.AppliedSetting(name)) == Fleet.ProfileSync.Withdrawn && _store.FindProfile(name) is null;
        }
    }

    /// <summary>
    /// Stops using a profile the fleet withdrew: it is forgotten, and the logs being read against it
    /// stop (read again, they fail naming why); a later one of that name is loaded afresh.
    /// </summary>
    private bool Withdraw(string name)
    {
        lock (_storeLock)
        {
            _profiles.Remove(name);
            _versions.Remove(name);
        }

        _kept.Remove(name);
        _changing.Remove(name);
        int stopped = 0;
        foreach (FileTracker tracker in _active.Values)
        {
            if (tracker.ProfileName == name && !tracker.Finished)
            {
                tracker.Restart();
                stopped++;
            }
        }

        foreach (FileTracker tracker in _active.Values)
        {
            if (tracker.Restarting)
            {
                tracker.Join(TimeSpan.FromSeconds(5));
            }
        }

        if (Logger.IsEnabled(LogLevel.Warning))
        {
            Logger.LogWarning("profile '{Profile}' was withdrawn by the fleet: the agent stops checking against it ({Stopped} logs being read stop)", name, stopped);
        }

        return stopped > 0;
    }

    private bool Reload(string name, string? version)
    {
        if (version is null && IsWithdrawn(name))
        {
            return Withdraw(name);
        }

        LiveProfile fresh;
        try
        {
            if (version is null)
            {
                throw new Diagnostics.SysprintException(Diagnostics.ErrorKind.InputMissing, $"{_store.Location}: profile '{name}' was deleted");
            }

            lock (_storeLock)
            {
                fresh = LiveProfile.Load(_store, name, Settings.Detector, Settings.Threshold, Settings.Verifier, _mapping);
            }
        }
        catch (Diagnostics.SysprintException e)
        {
            _kept[name] = version;
            string reason = $"profile '{name}' changed in the store and cannot be used: {AgentErrorText.Of(e)}; the agent keeps checking with the fingerprint it loaded before";
            if (Logger.IsEnabled(LogLevel.Error))
            {
                Logger.LogError("{Reason}", Diagnostics.Printable.Escape(reason));
            }

            AlertPriority priority = e.Kind == Diagnostics.ErrorKind.Untrusted ? AlertPriority.Critical : AlertPriority.Error;
            Outbox.Raise(Factory.Internal(AlertFactory.FingerprintKeptRule, priority, null, _store.Location, "profile:" + name, version ?? "deleted", reason, DateTimeOffset.UtcNow));
            return false;
        }

        lock (_storeLock)
        {
            _profiles[name] = fresh;
            _versions[name] = version;
        }

        _kept.Remove(name);
        int restarted = 0;
        foreach (FileTracker tracker in _active.Values)
        {
            // A reader following a log renamed away by rotation finishes with the fingerprint it has:
            // its path no longer leads to it, so a new reader could not find it again.
            if (tracker.ProfileName == name && !tracker.Finished && Posix.FileId(tracker.Path) == (tracker.Row.Device, tracker.Row.Inode))
            {
                tracker.Restart();
                restarted++;
            }
        }

        foreach (FileTracker tracker in _active.Values)
        {
            if (tracker.Restarting)
            {
                tracker.Join(TimeSpan.FromSeconds(5));
            }
        }

        if (Logger.IsEnabled(LogLevel.Information))
        {
            Logger.LogInformation("profile '{Profile}' changed in the store: its fingerprint is reloaded ({Transitions} transitions{Sealed}); {Restarted} logs being read are read again from their start against it",
                name, fresh.Fingerprint.TransitionCount, Settings.Verifier is null ? "" : ", seal verified", restarted);
        }

        return restarted > 0;
    }

    /// <summary>A copy of the store's mapping for one reader (readers of NtTrace logs learn names into it).</summary>
    internal SyscallTable NewTable()
    {
        var table = new SyscallTable(_mapping.Source);
        lock (_storeLock)
        {
            foreach (var (number, name) in _mapping.Entries)
            {
                table.Add(number, name);
            }
        }

        return table;
    }

    internal void TrackerFinished(FileTracker tracker) => _finished.Enqueue(tracker);

    private void Scan(CancellationToken stop)
    {
        var activePaths = new Dictionary<string, FileTracker>(StringComparer.Ordinal);
        var activeIds = new HashSet<(long, long)>();
        foreach (FileTracker tracker in _active.Values)
        {
            activePaths[tracker.Path] = tracker;
            activeIds.Add((tracker.Row.Device, tracker.Row.Inode));
            CheckRewritten(tracker);
        }

        foreach (string spool in Settings.Spools.Select(Path.GetFullPath))
        {
            if (!Directory.Exists(spool))
            {
                if (_missingSpools.Add(spool))
                {
                    Logger.LogWarning("spool {Spool} does not exist (yet)", spool);
                }

                // Watched again once it exists again.
                if (_inotify.Remove(spool, out FileSystemWatcher? gone))
                {
                    gone.Dispose();
                }

                continue;
            }

            _missingSpools.Remove(spool);
            WatchSpool(spool);
            string spoolReal = Posix.RealPath(spool) ?? spool;
            foreach (string vmDirectory in Directory.EnumerateDirectories(spool))
            {
                string vm = Path.GetFileName(vmDirectory);
                if (Excluded(vm) || Posix.RealPath(vmDirectory) is not { } vmReal)
                {
                    continue;
                }

                if (!Settings.FollowSymlinks && !Inside(vmReal, spoolReal))
                {
                    Refuse(vm, vmDirectory, Outside(vmDirectory, vmReal, "outside the spool " + spool));
                    continue;
                }

                foreach (var (path, link, directory) in Entries(vmDirectory))
                {
                    if (stop.IsCancellationRequested)
                    {
                        return;
                    }

                    if (activePaths.ContainsKey(path) || Excluded(Path.GetFileName(path)) || Excluded(RelativeDirectories(vmDirectory, path)))
                    {
                        continue;
                    }

                    if (link && !Settings.FollowSymlinks)
                    {
                        // A VM may plant a link to a host file (/etc/shadow) in its folder: read
                        // nothing of it, or its lines would end up in alerts.
                        string? target = Posix.RealPath(path);
                        if (target is null)
                        {
                            continue;
                        }

                        if (!Inside(target, vmReal))
                        {
                            Refuse(vm, path, Outside(path, target, "outside its VM's folder " + vmDirectory));
                            continue;
                        }
                    }

                    if (!directory)
                    {
                        Consider(vm, path, activeIds, stop);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The files under a VM's folder, and the symbolic links (to files or folders) among them. Links
    /// to folders are not entered unless <see cref="WatchSettings.FollowSymlinks"/>, and then not
    /// when they loop back to a folder above them.
    /// </summary>
    private FileSystemEnumerable<(string Path, bool Link, bool Directory)> Entries(string vmDirectory)
    {
        bool follow = Settings.FollowSymlinks;
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 };
        return new FileSystemEnumerable<(string, bool, bool)>(vmDirectory,
            (ref FileSystemEntry entry) => (entry.ToFullPath(), (entry.Attributes & FileAttributes.ReparsePoint) != 0, entry.IsDirectory), options)
        {
            ShouldIncludePredicate = (ref FileSystemEntry entry) => !entry.IsDirectory || (entry.Attributes & FileAttributes.ReparsePoint) != 0,
            ShouldRecursePredicate = (ref FileSystemEntry entry) =>
            {
                if ((entry.Attributes & FileAttributes.ReparsePoint) == 0)
                {
                    return true;
                }

                if (!follow)
                {
                    return false;
                }

                string path = entry.ToFullPath();
                return Posix.RealPath(path) is { } target && !Inside(path, target) && !Inside(Posix.RealPath(vmDirectory) ?? vmDirectory, target);
            },
        };
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or below it (both absolute, resolved).</summary>
    internal static bool Inside(string path, string root) =>
        path == root || (path.StartsWith(root, StringComparison.Ordinal) && (root.EndsWith('/') || (path.Length > root.Length && path[root.Length] == '/')));

    private static string Outside(string path, string target, string where) =>
        $"{path}: a symbolic link to {target}, {where}; not followed (follow_symlinks in the agent's config, or --follow-symlinks, allows it)";

    /// <summary>
    /// Where a watched file really is, when that is outside its VM's folder (or the folder outside
    /// its spool) and links are not to be followed: the reason to stop reading it; else null.
    /// <paramref name="realPath"/> is the file as opened (<c>/proc/self/fd</c>), so a link swapped
    /// in after the scan is caught too.
    /// </summary>
    internal string? OutsideReason(WatchedFile row, string? realPath)
    {
        if (Settings.FollowSymlinks || realPath is null)
        {
            return null;
        }

        foreach (string spool in Settings.Spools.Select(Path.GetFullPath))
        {
            string vmDirectory = Path.Combine(spool, row.Vm);
            if (!row.Path.StartsWith(vmDirectory + "/", StringComparison.Ordinal))
            {
                continue;
            }

            string? vmReal = Posix.RealPath(vmDirectory);
            string spoolReal = Posix.RealPath(spool) ?? spool;
            if (vmReal is null || !Inside(vmReal, spoolReal))
            {
                return Outside(vmDirectory, vmReal ?? "(gone)", "outside the spool " + spool);
            }

            return Inside(realPath, vmReal) ? null : Outside(row.Path, realPath, "outside its VM's folder " + vmDirectory);
        }

        return null;
    }

    /// <summary>
    /// Records a link that is not followed, once per link and target: a warning in the agent's log,
    /// a failed file in <c>agent-status</c>, and an internal alert (a VM planting such a link is
    /// worth a look).
    /// </summary>
    private void Refuse(string vm, string path, string reason)
    {
        if (_refused.TryGetValue(path, out string? known) && known == reason)
        {
            return;
        }

        _refused[path] = reason;
        if (Logger.IsEnabled(LogLevel.Warning))
        {
            Logger.LogWarning("{Reason}", Diagnostics.Printable.Escape(reason));
        }

        if (!_rows.Values.Any(r => r.Path == path && r.State == WatchedFileStates.Failed && r.Error == reason))
        {
            (long Device, long Inode) id = Posix.FileId(path, noFollow: true) ?? (0, 0);
            Add(new WatchedFile
            {
                Key = "link:" + Guid.NewGuid().ToString("N"), Vm = vm, Path = path, Device = id.Device, Inode = id.Inode,
                HeadLength = 0, HeadHash = "", State = WatchedFileStates.Failed, Error = reason,
                FirstSeen = DateTimeOffset.UtcNow, Updated = DateTimeOffset.UtcNow,
            });
        }

        string key = "link:" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(reason)));
        Outbox.Raise(Factory.Internal(AlertFactory.UnreadableRule, AlertPriority.Error, vm, path, key, "link", reason, DateTimeOffset.UtcNow));
    }

    /// <summary>Decides what to do with a file no reader has: skip it, read it again, or read it as new.</summary>
    private void Consider(string vm, string path, HashSet<(long, long)> activeIds, CancellationToken stop)
    {
        var info = new FileInfo(path);
        if (!info.Exists || (info.Attributes & FileAttributes.Directory) != 0)
        {
            return;
        }

        (long Size, DateTime Written) stamp = (info.Length, info.LastWriteTimeUtc);
        if (_seen.TryGetValue(path, out var seen) && seen == stamp)
        {
            return;
        }

        if (Posix.FileId(path) is not { } id || activeIds.Contains(id))
        {
            // Gone meanwhile, or a file being read already, under a new name (renamed by rotation).
            _seen[path] = stamp;
            return;
        }

        bool gzip = FileHead.IsGzip(path);
        if (gzip && DateTime.UtcNow - info.LastWriteTimeUtc < Settings.Settle)
        {
            return;
        }

        foreach (WatchedFile row in _rows.Values.Where(r => r.Device == id.Device && r.Inode == id.Inode && r.State != WatchedFileStates.Replaced).OrderByDescending(r => r.Id).ToList())
        {
            if (FileHead.Hash(path, row.HeadLength) == row.HeadHash)
            {
                if (row.State is WatchedFileStates.Done or WatchedFileStates.Failed && stamp.Size == row.Size)
                {
                    _seen[path] = stamp;
                    return;
                }

                // Unfinished when the agent stopped, or grew since: read again from the start.
                Start(row with { State = WatchedFileStates.Reading, Error = null }, stop);
                return;
            }

            // Another content under the same inode: the file was rewritten or the inode reused.
            Save(row with { State = WatchedFileStates.Replaced, Updated = DateTimeOffset.UtcNow });
        }

        if (KeyHead(path, gzip) is not { } head)
        {
            // No complete line yet: the key waits for one (looked at every poll interval for a while, with inotify).
            if (_inotify.Count > 0)
            {
                _awaitingLine.TryAdd(path, (vm, DateTime.UtcNow));
            }

            return;
        }

        _awaitingLine.Remove(path);

        string contentKey = $"{head.Hash}:{head.Length.ToString(CultureInfo.InvariantCulture)}";
        WatchedFile? same = SameContent(vm, path);
        if (same is not null)
        {
            contentKey = FileTracker.ContentKey(same.Key);
            head = (same.HeadLength, same.HeadHash);
            if (gzip && same.State == WatchedFileStates.Done && FileHead.GzipSize(path) == (same.Bytes & 0xFFFFFFFFL))
            {
                // The compressed copy of a log read to its end (rotation): nothing new in it.
                Add(new WatchedFile
                {
                    Key = contentKey + "#" + Guid.NewGuid().ToString("N"), Vm = vm, Path = path, Device = id.Device, Inode = id.Inode,
                    HeadLength = head.Length, HeadHash = head.Hash, Bytes = same.Bytes, Size = stamp.Size, Lines = same.Lines,
                    Syscalls = same.Syscalls, State = WatchedFileStates.Done, Error = "compressed copy of " + same.Path,
                    FirstSeen = DateTimeOffset.UtcNow, Updated = DateTimeOffset.UtcNow,
                });
                _seen[path] = stamp;
                return;
            }
        }

        WatchedFile added = Add(new WatchedFile
        {
            Key = contentKey + "#" + Guid.NewGuid().ToString("N"), Vm = vm, Path = path, Device = id.Device, Inode = id.Inode,
            HeadLength = head.Length, HeadHash = head.Hash, Size = stamp.Size, State = WatchedFileStates.Reading,
            FirstSeen = DateTimeOffset.UtcNow, Updated = DateTimeOffset.UtcNow,
        });
        Start(added, stop);
    }

    /// <summary>
    /// The first bytes that key a new log's content: 4 KiB, or for a smaller file all its complete
    /// lines (null before the first newline, unless compressed and so complete).
    /// </summary>
    private static (int Length, string Hash)? KeyHead(string path, bool gzip)
    {
        byte[] head = FileHead.Bytes(path, FileHead.MaxLength);
        int length = head.Length;
        if (length == 0)
        {
            return null;
        }

        if (length < FileHead.MaxLength && !gzip)
        {
            int newline = Array.LastIndexOf(head, (byte)'\n');
            if (newline < 0)
            {
                return null;
            }

            length = newline + 1;
        }

        return (length, Convert.ToHexStringLower(SHA256.HashData(head.AsSpan(0, length))));
    }

    /// <summary>A log of the same VM seen before whose first bytes this file starts with (longest key first).</summary>
    private WatchedFile? SameContent(string vm, string path)
    {
        foreach (IGrouping<int, WatchedFile> group in _rows.Values.Where(r => r.Vm == vm).GroupBy(r => r.HeadLength).OrderByDescending(g => g.Key))
        {
            string? hash = FileHead.Hash(path, group.Key);
            if (hash is null)
            {
                continue;
            }

            WatchedFile? match = group.Where(r => r.HeadHash == hash).OrderBy(r => r.State == WatchedFileStates.Done ? 0 : 1).ThenBy(r => r.Id).FirstOrDefault();
            if (match is not null)
            {
                return match;
            }
        }

        return null;
    }

    /// <summary>
    /// A file whose first bytes changed while read was rewritten in place: its reader stops, the
    /// next scan starts anew. Unless a copy of the old content was kept beside it (copytruncate,
    /// then the log grew past where it was read before the reader saw it shrink), that is a log
    /// restarted without a rotation: an internal alert names it.
    /// </summary>
    private void CheckRewritten(FileTracker tracker)
    {
        WatchedFile row = tracker.Row;
        if (tracker.Gzip || tracker.Finished || Posix.FileId(row.Path) != (row.Device, row.Inode))
        {
            return;
        }

        string? hash = FileHead.Hash(row.Path, row.HeadLength);
        if (hash is not null && hash != row.HeadHash)
        {
            bool running = tracker.SessionOpen;
            long read = tracker.BytesRead;
            tracker.Replace();
            if (CopyOf(row) is null)
            {
                string reason = string.Create(CultureInfo.InvariantCulture,
                    $"{row.Path} was rewritten from its start while it was read ({read} bytes read, its first {row.HeadLength} bytes changed{(running ? ", before its program ended" : "")}), and no copy of it was kept in {VmDirectory(row) ?? row.Vm} as a rotation keeps one: the lines read before are gone from it");
                RaiseTampered(tracker, "rewritten:" + read.ToString(CultureInfo.InvariantCulture), reason);
            }
        }
    }

    /// <summary>
    /// From a reader's thread: its log became shorter (<paramref name="size"/>) than what was read
    /// (<paramref name="read"/>). A copy of it beside it is logrotate's copytruncate: nothing to
    /// say. Without one, lines were removed: an internal alert names the log. Returns the reason,
    /// or null for a rotation.
    /// </summary>
    internal string? Shrank(FileTracker tracker, long read, long size)
    {
        WatchedFile row = tracker.Row;
        if (CopyOf(row) is { } copy)
        {
            if (Logger.IsEnabled(LogLevel.Information))
            {
                Logger.LogInformation("{Path} was truncated after a copy of it was kept ({Copy}): a copytruncate rotation", Diagnostics.Printable.Escape(row.Path), Diagnostics.Printable.Escape(copy));
            }

            return null;
        }

        string reason = string.Create(CultureInfo.InvariantCulture,
            $"{row.Path} shrank from {read} bytes read to {size} bytes{(tracker.SessionOpen ? " before its program ended" : "")}, and no copy of it was kept in {VmDirectory(row) ?? row.Vm} as logrotate's copytruncate keeps one: lines of it were removed");
        RaiseTampered(tracker, "shrank:" + read.ToString(CultureInfo.InvariantCulture), reason);
        return reason;
    }

    private void RaiseTampered(FileTracker tracker, string what, string reason)
    {
        WatchedFile row = tracker.Row;
        if (Logger.IsEnabled(LogLevel.Warning))
        {
            Logger.LogWarning("{Reason}", Diagnostics.Printable.Escape(reason));
        }

        Outbox.Raise(Factory.Internal(AlertFactory.LogShrankRule, AlertPriority.Critical, row.Vm, row.Path, tracker.AlertKey, what, reason, DateTimeOffset.UtcNow));
    }

    /// <summary>The VM's folder a watched file is in (<c>SPOOL/VM</c>), or null.</summary>
    private string? VmDirectory(WatchedFile row)
    {
        foreach (string spool in Settings.Spools)
        {
            string vmDirectory = Path.Combine(Path.GetFullPath(spool), row.Vm);
            if (row.Path.StartsWith(vmDirectory + "/", StringComparison.Ordinal))
            {
                return vmDirectory;
            }
        }

        return null;
    }

    /// <summary>Another file in the log's VM folder that starts with the log's first bytes (its key): a rotation's copy, plain or compressed.</summary>
    private string? CopyOf(WatchedFile row)
    {
        if (VmDirectory(row) is not { } vmDirectory || row.HeadLength == 0 || !Directory.Exists(vmDirectory))
        {
            return null;
        }

        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (string file in Directory.EnumerateFiles(vmDirectory, "*", options))
        {
            try
            {
                if (file != row.Path && FileHead.Hash(file, row.HeadLength) == row.HeadHash)
                {
                    return file;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone or unreadable meanwhile: not the copy.
            }
        }

        return null;
    }

    /// <summary>
    /// Per VM: when its logs being read last grew (their files' write times) and whether one of
    /// them has not reached its end (<see cref="FileTracker.SessionOpen"/>). A VM whose logs did
    /// not grow for <see cref="WatchSettings.SilentVmAfter"/> while one is open raises an internal
    /// alert naming it and that log, once per silence (its id is made of the time of the last
    /// growth, so a restart does not raise it again either); it is raised again only after the
    /// logs grew and fell silent anew.
    /// </summary>
    private void CheckSilence(DateTime now)
    {
        if (Settings.SilentVmAfter <= TimeSpan.Zero)
        {
            return;
        }

        var vms = new Dictionary<string, (DateTime Growth, FileTracker? Open)>(StringComparer.Ordinal);
        foreach (FileTracker tracker in _active.Values)
        {
            if (tracker.Gzip || tracker.Finished || tracker.Stat() is not { } stat)
            {
                continue;
            }

            string vm = tracker.Row.Vm;
            (DateTime growth, FileTracker? open) = vms.TryGetValue(vm, out var known) ? known : (DateTime.MinValue, null);
            if (stat.Written > growth)
            {
                growth = stat.Written;
            }

            if (open is null && tracker.SessionOpen)
            {
                open = tracker;
            }

            vms[vm] = (growth, open);
        }

        foreach (string vm in _silentVms.Keys)
        {
            if (!vms.TryGetValue(vm, out var state) || state.Open is null || state.Growth != _silentVms[vm])
            {
                _silentVms.TryRemove(vm, out _);
            }
        }

        foreach (var (vm, (growth, open)) in vms)
        {
            if (open is null || now - growth < Settings.SilentVmAfter)
            {
                continue;
            }

            _silentVms[vm] = growth;
            if (_silenceAlerted.TryGetValue(vm, out DateTime alerted) && alerted == growth)
            {
                continue;
            }

            _silenceAlerted[vm] = growth;
            long seconds = (long)(now - growth).TotalSeconds;
            string reason = string.Create(CultureInfo.InvariantCulture,
                $"the logs of vm {vm} stopped growing {seconds} s ago (at {growth:yyyy-MM-dd'T'HH:mm:ss'Z'}; silent_vm_after_s {(long)Settings.SilentVmAfter.TotalSeconds}) while {open.Path} has not reached its end (a thread in it has not exited): its tracing may have been stopped or its log suppressed");
            if (Logger.IsEnabled(LogLevel.Warning))
            {
                Logger.LogWarning("{Reason}", Diagnostics.Printable.Escape(reason));
            }

            Outbox.Raise(Factory.Internal(AlertFactory.SilentVmRule, AlertPriority.Error, vm, open.Path, open.AlertKey,
                "silent:" + growth.Ticks.ToString(CultureInfo.InvariantCulture), reason, DateTimeOffset.UtcNow));
        }
    }

    /// <summary>
    /// What the metrics show, from any thread: lines and syscalls read by this watcher (logs
    /// finished and being read), and per VM the bytes written to its logs being read and not read
    /// yet, when they last grew, and whether it is silent now.
    /// </summary>
    internal WatchProgress Progress()
    {
        lock (_progressLock)
        {
            long lines = _doneLines;
            long syscalls = _doneSyscalls;
            int reading = 0;
            var vms = new Dictionary<string, VmProgress>(StringComparer.Ordinal);
            foreach (FileTracker tracker in _live.Values)
            {
                lines += tracker.LinesRead;
                syscalls += tracker.SyscallsChecked;
                reading++;
                string vm = tracker.Row.Vm;
                VmProgress known = vms.TryGetValue(vm, out VmProgress v) ? v : new VmProgress(0, null, _silentVms.ContainsKey(vm));
                // A reader that ended and awaits its reaping has let go of its file: nothing of it lags.
                if (!tracker.Gzip && !tracker.Finished && tracker.Stat() is { } stat)
                {
                    known = known with
                    {
                        LagBytes = known.LagBytes + Math.Max(0, stat.Size - tracker.BytesRead),
                        LastGrowth = known.LastGrowth is { } g && g > stat.Written ? g : stat.Written,
                    };
                }

                vms[vm] = known;
            }

            return new WatchProgress(lines, syscalls, reading, vms);
        }
    }

    private WatchedFile Add(WatchedFile row)
    {
        WatchedFile added;
        lock (_storeLock)
        {
            added = _agentStore.AddWatchedFile(row);
        }

        _rows[added.Id] = added;
        return added;
    }

    private void Save(WatchedFile row)
    {
        _rows[row.Id] = row;
        lock (_storeLock)
        {
            _agentStore.UpdateWatchedFiles([row]);
        }
    }

    private void Start(WatchedFile row, CancellationToken stop)
    {
        Save(row);
        var tracker = new FileTracker(this, row, stop);
        _active[row.Id] = tracker;
        _following[row.Path] = tracker;
        _live[row.Id] = tracker;
        if (Logger.IsEnabled(LogLevel.Information))
        {
            Logger.LogInformation("reading {Path} (vm {Vm})", Diagnostics.Printable.Escape(row.Path), Diagnostics.Printable.Escape(row.Vm));
        }
        tracker.Start();
    }

    private void ReapFinished()
    {
        var rows = new List<WatchedFile>();
        while (_finished.TryDequeue(out FileTracker? tracker))
        {
            _active.Remove(tracker.Id);
            _following.TryRemove(new KeyValuePair<string, FileTracker>(tracker.Path, tracker));
            lock (_progressLock)
            {
                // Moved to the totals at once, so that the metrics' counters never step back.
                _live.TryRemove(tracker.Id, out _);
                _doneLines += tracker.LinesRead;
                _doneSyscalls += tracker.SyscallsChecked;
            }

            WatchedFile row = tracker.Row;
            _rows[row.Id] = row;
            rows.Add(row);
            _seen.Remove(row.Path);
            if (row.State == WatchedFileStates.Done)
            {
                LogDone?.Invoke(row, tracker.ProfileName);
            }
        }

        if (rows.Count > 0)
        {
            lock (_storeLock)
            {
                _agentStore.UpdateWatchedFiles(rows);
            }
        }
    }

    /// <summary>
    /// Removes what the agent no longer needs, older than <see cref="WatchSettings.Retention"/>: the
    /// rows of finished files whose path no longer leads to them (a file still in the spool keeps its
    /// row, which is what keeps it from being read again), then the alerts every sink took whose log
    /// no row names any more.
    /// </summary>
    private void Prune()
    {
        if (Settings.Retention <= TimeSpan.Zero)
        {
            return;
        }

        DateTimeOffset before = DateTimeOffset.UtcNow - Settings.Retention;
        var gone = new List<long>();
        foreach (WatchedFile row in _rows.Values)
        {
            if (row.State is WatchedFileStates.Done or WatchedFileStates.Failed or WatchedFileStates.Replaced && row.Updated < before && !_active.ContainsKey(row.Id)
                && Posix.FileId(row.Path, noFollow: row.Key.StartsWith("link:", StringComparison.Ordinal)) != (row.Device, row.Inode))
            {
                gone.Add(row.Id);
            }
        }

        int files;
        int alerts;
        try
        {
            lock (_storeLock)
            {
                files = gone.Count == 0 ? 0 : _agentStore.DeleteWatchedFiles(gone);
                alerts = _agentStore.PruneDeliveredAlerts(before);
            }
        }
        catch (Diagnostics.SysprintException e)
        {
            Logger.LogWarning("could not prune the agent's tables (retention_days), will try again in an hour: {Error}", e.Message);
            return;
        }

        foreach (long id in gone)
        {
            _rows.Remove(id);
        }

        if ((files > 0 || alerts > 0) && Logger.IsEnabled(LogLevel.Information))
        {
            Logger.LogInformation("pruned {Files} finished files gone from the spool and {Alerts} delivered alerts, older than {Days} days (retention_days)",
                files, alerts, Settings.Retention.TotalDays);
        }
    }

    private void Checkpoint()
    {
        var rows = new List<WatchedFile>(_active.Count);
        foreach (FileTracker tracker in _active.Values)
        {
            WatchedFile row = tracker.Snapshot();
            _rows[row.Id] = row;
            rows.Add(row);
        }

        lock (_storeLock)
        {
            _agentStore.UpdateWatchedFiles(rows);
        }

        Info(stopped: false);
    }

    private void Info(bool stopped)
    {
        var info = new AgentInfo(Environment.ProcessId, _started, DateTimeOffset.UtcNow, stopped, [.. Settings.Spools.Select(Path.GetFullPath)],
            Outbox.SinkNames, Settings.CheckpointInterval, Outbox.Raised, Outbox.Duplicates);
        lock (_storeLock)
        {
            _agentStore.SetAgentInfo(info);
        }
    }

    /// <summary>
    /// Starts inotify on a spool (all its folders, those made later too), once. Where it cannot
    /// (inotify's limits reached, a file system without it), says so once and leaves the spool to
    /// the rescan and the readers' polls.
    /// </summary>
    private void WatchSpool(string spool)
    {
        if (!Settings.Inotify || _inotify.ContainsKey(spool) || _inotifyRefused.Contains(spool))
        {
            return;
        }

        FileSystemWatcher? watcher = null;
        try
        {
            watcher = new FileSystemWatcher(spool)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName,
                InternalBufferSize = 64 * 1024,
            };
            watcher.Created += OnCreated;
            watcher.Renamed += OnCreated;
            watcher.Error += OnInotifyError;
            watcher.EnableRaisingEvents = true;
            _inotify[spool] = watcher;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or PlatformNotSupportedException)
        {
            watcher?.Dispose();
            _inotifyRefused.Add(spool);
            if (Logger.IsEnabled(LogLevel.Warning))
            {
                Logger.LogWarning("inotify cannot watch {Spool} ({Error}): new logs are found by listing it every {Scan} ms (scan_interval_ms) and appends by polling every {Poll} ms (poll_interval_ms)",
                    spool, e.Message, (long)Settings.ScanInterval.TotalMilliseconds, (long)Settings.Tail.PollInterval.TotalMilliseconds);
            }
        }
    }

    private void StopInotify()
    {
        foreach (FileSystemWatcher watcher in _inotify.Values)
        {
            watcher.Dispose();
        }

        _inotify.Clear();
    }

    /// <summary>From inotify's thread: a file or folder was created, or renamed (to its new name).</summary>
    private void OnCreated(object sender, FileSystemEventArgs e)
    {
        if (!_following.ContainsKey(e.FullPath) && !Excluded(Path.GetFileName(e.FullPath)))
        {
            AskScan();
        }
    }

    /// <summary>Looks again at the new files that had no complete line yet (they passed the scan's checks already).</summary>
    private void ConsiderAwaiting(CancellationToken stop)
    {
        var activeIds = new HashSet<(long, long)>();
        foreach (FileTracker tracker in _active.Values)
        {
            activeIds.Add((tracker.Row.Device, tracker.Row.Inode));
        }

        foreach (var (path, (vm, _)) in _awaitingLine.ToList())
        {
            if (!_following.ContainsKey(path))
            {
                Consider(vm, path, activeIds, stop);
            }
        }
    }

    /// <summary>True while some new file seen lately awaits its first complete line; forgets those awaited too long.</summary>
    private bool AwaitLine(DateTime now)
    {
        if (_awaitingLine.Count == 0)
        {
            return false;
        }

        foreach (var (path, (_, since)) in _awaitingLine.ToList())
        {
            if (now - since > AwaitLineFor || _following.ContainsKey(path))
            {
                _awaitingLine.Remove(path);
            }
        }

        return _awaitingLine.Count > 0;
    }

    /// <summary>From inotify's thread: events were lost (its queue overflowed) or a watch failed. Everything is looked at again.</summary>
    private void OnInotifyError(object sender, ErrorEventArgs e)
    {
        long lost = Interlocked.Increment(ref _inotifyOverflows);
        if (Logger.IsEnabled(LogLevel.Warning) && (lost & (lost - 1)) == 0)
        {
            // 1st, 2nd, 4th, 8th...: a flood of overflows must not flood the log.
            Logger.LogWarning("inotify lost events ({Error}; {Lost} times so far): the spools are listed again and every reader looks at its file",
                e.GetException().Message, lost);
        }

        foreach (FileTracker tracker in _following.Values)
        {
            tracker.Wake();
        }

        AskScan();
    }

    private void AskScan()
    {
        Interlocked.Exchange(ref _scanAsked, 1);
        try
        {
            _wake.Set();
        }
        catch (ObjectDisposedException)
        {
            // Stopping.
        }
    }

    private bool Excluded(string name)
    {
        foreach (string pattern in Settings.Exclude)
        {
            if (Glob(pattern, name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The folders between the VM's folder and the file, each checked against the exclusions (a hidden folder hides its files).</summary>
    private static string RelativeDirectories(string vmDirectory, string path)
    {
        string? parent = Path.GetDirectoryName(Path.GetRelativePath(vmDirectory, path));
        if (string.IsNullOrEmpty(parent))
        {
            return "";
        }

        foreach (string part in parent.Split(Path.DirectorySeparatorChar))
        {
            if (part.StartsWith('.'))
            {
                return part;
            }
        }

        return "";
    }

    /// <summary>Matches <c>*</c> (any run) and <c>?</c> (one character).</summary>
    internal static bool Glob(string pattern, string name)
    {
        int p = 0;
        int n = 0;
        int star = -1;
        int mark = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == name[n]))
            {
                p++;
                n++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = n;
            }
            else if (star >= 0)
            {
                p = star + 1;
                n = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length && name.Length > 0;
    }
}

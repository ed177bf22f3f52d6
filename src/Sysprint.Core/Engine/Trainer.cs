using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using Sysprint.Detection;
using Sysprint.Diagnostics;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.Engine;

/// <summary>
/// Learns logs into profiles of a store: one transaction per log; a log whose content was already
/// learnt into the profile changes nothing. Keeps each profile's fingerprint in memory between logs.
/// </summary>
public sealed class Trainer
{
    /// <summary>The <c>--profile</c> value that names each log's profile after its program.</summary>
    public const string AutoProfile = "auto";

    private readonly IFingerprintStore _store;
    private readonly SyscallTable _table;
    private readonly LogReadOptions _options;
    private readonly Dictionary<string, (ProfileInfo? Profile, Fingerprint Fingerprint)> _profiles = new(StringComparer.Ordinal);

    public Trainer(IFingerprintStore store, SyscallTable table, LogReadOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _table = table;
        _options = options;
    }

    /// <summary>Learns one log into <paramref name="profileName"/> (or its program's profile for <see cref="AutoProfile"/>).</summary>
    /// <param name="window">The window for a new profile; for an existing one it must match or be null.</param>
    public TrainOutcome Learn(string path, string profileName, int? window)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(profileName);
        string name = profileName == AutoProfile ? ProgramProfile.Find(path, _options) : profileName;
        (ProfileInfo? profile, Fingerprint fingerprint) = Profile(name, window);

        (string sha256, long size) = Hash(path);
        LearntLog? earlier = profile is null ? null : _store.FindLearntLog(profile.Id, sha256);
        if (earlier is not null)
        {
            return new TrainOutcome(path, profile!.Name, earlier, AlreadyLearnt: true, null, fingerprint.TransitionCount, fingerprint.KnownCallCount);
        }

        var learner = new FingerprintLearner(fingerprint) { MaxThreads = _options.MaxThreads, MaxCalls = _options.MaxCalls };

        // The same pass counts the log's windows for the window detectors (zstide, freq, callset).
        var windows = new WindowModelLearner(new SubstringModel(capacity: 1024)) { MaxThreads = _options.MaxThreads };
        try
        {
            LogReadResult read = LogReader.Read(path, _table, _options, new TeeSink(learner, windows));

            // A profile is created only once a log was read: a failed first log leaves no empty profile.
            profile ??= _store.CreateProfile(name, fingerprint.Window, fingerprint.Window == 2 ? PaperDetector.KindName : StideDetector.KindName, 0);
            _profiles[name] = (profile, fingerprint);
            var log = new LearntLog(Path.GetFullPath(path), size, sha256, read.Syscalls, learner.NewTransitions, fingerprint.TransitionCount, DateTimeOffset.UtcNow);
            _store.LearnLog(profile, log, learner.NewGrams, [.. _table.NewlyLearnt], windows.Model);
            _table.MarkLearntSaved();
            return new TrainOutcome(path, profile.Name, log, AlreadyLearnt: false, read, fingerprint.TransitionCount, fingerprint.KnownCallCount);
        }
        catch
        {
            // The in-memory fingerprint may hold part of the failed log: reload it from the store.
            _profiles.Remove(name);
            throw;
        }
    }

    /// <summary>
    /// Starts reading logs ahead of their turn, on any threads, for <paramref name="profileName"/>
    /// (or each log's program for <see cref="AutoProfile"/>): what <see cref="ReadAhead.Prepare"/>
    /// reads is learnt later, in order, by <see cref="Learn(PreparedLog, int?)"/>, with the same
    /// outcome as learning the logs one after another.
    /// </summary>
    public ReadAhead StartReadAhead(string profileName, int? window)
    {
        ArgumentNullException.ThrowIfNull(profileName);
        var windows = new Dictionary<string, int>(StringComparer.Ordinal);
        var learnt = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (ProfileInfo profile in _store.ListProfiles())
        {
            if (profileName != AutoProfile && profile.Name != profileName)
            {
                continue;
            }

            windows[profile.Name] = profile.Window;
            learnt[profile.Name] = [.. _store.ListLearntLogs(profile.Id).Select(l => l.Sha256)];
        }

        return new ReadAhead(profileName, window ?? Fingerprint.MinWindow, windows, learnt, _table, _options);
    }

    /// <summary>
    /// Learns a log <see cref="ReadAhead.Prepare"/> read ahead: the profile's fingerprint takes the
    /// grams the log held that it lacked. Call in the logs' order, on one thread.
    /// </summary>
    public TrainOutcome Learn(PreparedLog prepared, int? window)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        prepared.Error?.Throw();
        string name = prepared.Profile!;
        (ProfileInfo? profile, Fingerprint fingerprint) = Profile(name, window);
        LearntLog? earlier = profile is null ? null : _store.FindLearntLog(profile.Id, prepared.Sha256!);
        if (earlier is not null)
        {
            return new TrainOutcome(prepared.Path, profile!.Name, earlier, AlreadyLearnt: true, null, fingerprint.TransitionCount, fingerprint.KnownCallCount);
        }

        if (prepared.Grams is not { } grams || grams.Window != fingerprint.Window)
        {
            // Read ahead as learnt already, or for another window than the profile now has: read it now.
            return Learn(prepared.Path, name, window);
        }

        var newGrams = new List<int[]>();
        int newTransitions = 0;
        foreach (int[] gram in grams.Grams())
        {
            if (fingerprint.Add(gram))
            {
                newGrams.Add(gram);
                newTransitions += gram.Length > 1 ? 1 : 0;
            }
        }

        if (fingerprint.KnownCallCount > _options.MaxCalls)
        {
            // Too many calls only with what was learnt before it: learning it in turn says where.
            _profiles.Remove(name);
            return Learn(prepared.Path, name, window);
        }

        try
        {
            profile ??= _store.CreateProfile(name, fingerprint.Window, fingerprint.Window == 2 ? PaperDetector.KindName : StideDetector.KindName, 0);
            _profiles[name] = (profile, fingerprint);
            var log = new LearntLog(Path.GetFullPath(prepared.Path), prepared.Size, prepared.Sha256!, prepared.Read!.Syscalls, newTransitions,
                fingerprint.TransitionCount, DateTimeOffset.UtcNow);
            _store.LearnLog(profile, log, newGrams, [], prepared.Windows!);
            return new TrainOutcome(prepared.Path, profile.Name, log, AlreadyLearnt: false, prepared.Read, fingerprint.TransitionCount, fingerprint.KnownCallCount);
        }
        catch
        {
            _profiles.Remove(name);
            throw;
        }
    }

    /// <summary>The sha256 (hex) and size of a file's bytes as stored (compressed logs hash compressed).</summary>
    public static (string Sha256, long Size) Hash(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(256 * 1024);
            long size = 0;
            try
            {
                int n;
                while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
                {
                    sha.AppendData(buffer, 0, n);
                    size += n;
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }

            return (Convert.ToHexStringLower(sha.GetHashAndReset()), size);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SysprintException(ErrorKind.InputMissing, $"{path}: cannot read: {e.Message}", e);
        }
    }

    private (ProfileInfo?, Fingerprint) Profile(string name, int? window)
    {
        if (_profiles.TryGetValue(name, out var cached))
        {
            if (cached.Profile is not null)
            {
                CheckWindow(cached.Profile, window);
            }

            return cached;
        }

        ProfileInfo? profile = _store.FindProfile(name);
        if (profile is null)
        {
            return (null, new Fingerprint(window ?? Fingerprint.MinWindow));
        }

        CheckWindow(profile, window);
        Fingerprint fingerprint = _store.LoadFingerprint(profile);
        _profiles[name] = (profile, fingerprint);
        return (profile, fingerprint);
    }

    private static void CheckWindow(ProfileInfo profile, int? window)
    {
        if (window is { } w && w != profile.Window)
        {
            throw new SysprintException(ErrorKind.Usage,
                $"profile '{profile.Name}' has window {profile.Window}, not {w}: a window is fixed when its profile is created") { Remedy = RemedyKind.UseAnotherProfile };
        }
    }

    /// <summary>
    /// Reads logs for a <see cref="Trainer"/> ahead of their turn. <see cref="Prepare"/> is safe on
    /// any thread while the trainer learns: it reads the mapping and a snapshot of the store taken at
    /// the start, never the store itself.
    /// </summary>
    public sealed class ReadAhead
    {
        private readonly string _profileName;
        private readonly int _newWindow;
        private readonly Dictionary<string, int> _windows;
        private readonly Dictionary<string, HashSet<string>> _learnt;
        private readonly SyscallTable _table;
        private readonly LogReadOptions _options;

        internal ReadAhead(string profileName, int newWindow, Dictionary<string, int> windows, Dictionary<string, HashSet<string>> learnt,
            SyscallTable table, LogReadOptions options)
        {
            _profileName = profileName;
            _newWindow = newWindow;
            _windows = windows;
            _learnt = learnt;
            _table = table;
            _options = options;
        }

        /// <summary>
        /// Reads <paramref name="path"/> into its own grams and window counts. A log that may teach
        /// the mapping new names (NtTrace) is left to be read in its turn (<see cref="PreparedLog.NeedsTurn"/>):
        /// reading it now would number names out of order.
        /// </summary>
        public PreparedLog Prepare(string path)
        {
            ArgumentNullException.ThrowIfNull(path);
            var prepared = new PreparedLog(path);
            try
            {
                LogFormat format = _options.Format == LogFormat.Auto ? LogReader.Detect(path) : _options.Format;
                if (_options.LearnNames ?? format == LogFormat.NtTrace)
                {
                    prepared.NeedsTurn = true;
                    return prepared;
                }

                string name = _profileName == AutoProfile ? ProgramProfile.Find(path, _options) : _profileName;
                prepared.Profile = name;
                (prepared.Sha256, prepared.Size) = Hash(path);
                if (_learnt.TryGetValue(name, out HashSet<string>? learnt) && learnt.Contains(prepared.Sha256))
                {
                    return prepared;
                }

                var grams = new Fingerprint(_windows.GetValueOrDefault(name, _newWindow));
                var learner = new FingerprintLearner(grams) { MaxThreads = _options.MaxThreads, MaxCalls = _options.MaxCalls };
                var windows = new WindowModelLearner(new SubstringModel(capacity: 1024)) { MaxThreads = _options.MaxThreads };
                prepared.Read = LogReader.Read(path, _table, _options, new TeeSink(learner, windows));
                prepared.Grams = grams;
                prepared.Windows = windows.Model;
            }
            catch (Exception e)
            {
                prepared.Error = ExceptionDispatchInfo.Capture(e);
            }

            return prepared;
        }
    }
}

/// <summary>A log <see cref="Trainer.ReadAhead.Prepare"/> read ahead of its turn, to be learnt in order.</summary>
public sealed class PreparedLog
{
    internal PreparedLog(string path) => Path = path;

    public string Path { get; }

    /// <summary>Reading it may teach the mapping names: it must be read in its turn, after every log before it is learnt.</summary>
    public bool NeedsTurn { get; internal set; }

    internal string? Profile { get; set; }

    internal string? Sha256 { get; set; }

    internal long Size { get; set; }

    /// <summary>The log's own grams (null: the snapshot said it was learnt already).</summary>
    internal Fingerprint? Grams { get; set; }

    internal SubstringModel? Windows { get; set; }

    internal LogReadResult? Read { get; set; }

    internal ExceptionDispatchInfo? Error { get; set; }
}

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
                $"profile '{profile.Name}' has window {profile.Window}, not {w}: a window is fixed when its profile is created (use another --profile)");
        }
    }
}

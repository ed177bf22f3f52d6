using Sysprint.Mapping;
using Sysprint.Model;

namespace Sysprint.Storage;

/// <summary>
/// Where sysprint keeps what it learnt and found: the mapping, profiles and their fingerprints,
/// learnt logs, check results and alerts. SQLite is the default; a server database (PostgreSQL for
/// fleets of hosts) implements the same contract. Every method that writes is one transaction.
/// </summary>
/// <remarks>
/// Failures the user can act on (locked, corrupt, newer schema, unwritable) surface as
/// <see cref="Diagnostics.SysprintException"/> with <see cref="Diagnostics.ErrorKind.StoreUnavailable"/>.
/// </remarks>
public interface IFingerprintStore : IAlertHistory, IDisposable
{
    /// <summary>Where the store lives, for messages (a file path or a server address).</summary>
    string Location { get; }

    /// <summary>
    /// The fleet view of this store's alerts when the backend keeps every host's (PostgreSQL), else
    /// null (a single host's store): a capability asked for, never found by casting the store.
    /// </summary>
    IFleetView? FleetView { get; }

    /// <summary>The mapping the store was created with plus every learnt name; null before the first <see cref="SaveMapping"/>.</summary>
    SyscallTable? LoadMapping();

    /// <summary>Records the whole mapping (at creation, or when the user replaces it).</summary>
    void SaveMapping(SyscallTable table);

    /// <summary>Adds learnt names (number, name); names already present are left as they are.</summary>
    void SaveNames(IReadOnlyList<KeyValuePair<int, string>> names);

    ProfileInfo? FindProfile(string name);

    /// <summary>Creates a profile; its window never changes afterwards.</summary>
    ProfileInfo CreateProfile(string name, int window, string detector, double threshold);

    /// <summary>Sets the detector and threshold that <c>check</c> uses by default for the profile.</summary>
    void SetProfileDetector(string name, string detector, double threshold);

    IReadOnlyList<ProfileInfo> ListProfiles();

    /// <summary>
    /// In one transaction: removes the profile with its fingerprint, learnt logs, window counts and
    /// seal (the setting <c>seal:NAME</c>). Checks and alerts that name it stay in the history.
    /// Returns false when there is no such profile.
    /// </summary>
    bool DeleteProfile(string name);

    /// <summary>
    /// In one transaction: removes the profile of the same name, if any (as <see cref="DeleteProfile"/>),
    /// creates it again with its learnt logs, grams, window counts and names as given, and writes the
    /// replacement's settings. A reader sees the old profile or the new one, never neither nor part
    /// of it; a failure (e.g. a gram longer than the window, <see cref="ArgumentException"/>) leaves
    /// the old one as it was. Returns true when a profile was replaced, false when it was new.
    /// </summary>
    bool ReplaceProfile(ProfileReplacement replacement);

    /// <summary>
    /// A token that changes whenever the profile changes as sysprint changes it: logs learnt
    /// (<c>train</c>, <c>run --learn</c>, <c>import</c>), its detector or threshold set
    /// (<c>profile</c>), its seal written (<c>seal</c>), or the profile deleted and created again
    /// (<c>import --replace</c>); null when there is no such profile. Cheap enough to poll every
    /// half second: the running agent compares it to the one of the fingerprint it loaded.
    /// </summary>
    /// <remarks>
    /// This default reads it through the contract's other methods; a backend may answer in one
    /// query, and may fold in more (SQLite counts the grams too, so that a gram added by hand shows).
    /// </remarks>
    string? ProfileVersion(string name)
    {
        ProfileInfo? profile = FindProfile(name);
        if (profile is null)
        {
            return null;
        }

        IReadOnlyList<LearntLog> logs = ListLearntLogs(profile.Id);
        string last = logs.Count == 0 ? "" : logs[^1].Sha256;
        string seal = GetSetting(Integrity.Seal.SettingKey(name)) ?? "";
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{profile.Id}/{profile.Detector}/{profile.Threshold:R}/{logs.Count}/{last}/{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(seal)))}");
    }

    /// <summary>The profile's fingerprint, built from every stored gram.</summary>
    Fingerprint LoadFingerprint(ProfileInfo profile);

    /// <summary>The log already learnt into the profile with this content, if any.</summary>
    LearntLog? FindLearntLog(long profileId, string sha256);

    /// <summary>
    /// In one transaction: records the log, the grams it brought (each remembering this log as the
    /// one that first brought it), any names learnt while reading it and, when given, the log's own
    /// windows (a model of this log alone), added to the profile's window totals. Returns the log's id.
    /// </summary>
    long LearnLog(ProfileInfo profile, LearntLog log, IReadOnlyList<int[]> newGrams, IReadOnlyList<KeyValuePair<int, string>> newNames,
        Detection.SubstringModel? windows = null);

    /// <summary>The profile's window totals, learnt logs and call vocabularies, for the window detectors.</summary>
    StoredWindowModel LoadWindowModel(ProfileInfo profile);

    /// <summary>Each learnt log of the profile that has stored windows, oldest first (for export).</summary>
    IReadOnlyList<LogWindows> ListLogWindows(long profileId);

    /// <summary>Logs learnt into the profile, oldest first.</summary>
    IReadOnlyList<LearntLog> ListLearntLogs(long profileId);

    /// <summary>For each gram of the profile, the path of the log that first brought it (key: <see cref="Fingerprint.FormatGram"/>).</summary>
    IReadOnlyDictionary<string, string> GramOrigins(long profileId);

    /// <summary>
    /// In one transaction: records a check result and, when <see cref="CheckRecord.Verdict"/> is
    /// anomalous, its alert in the alert history (with <see cref="CheckRecord.AlertId"/>, source
    /// <see cref="CheckRecord.Source"/>). Returns the alert's <see cref="AlertEntry.Seq"/> or 0.
    /// </summary>
    long RecordCheck(CheckRecord check);

    /// <summary>
    /// Records several checks (and their alerts) as <see cref="RecordCheck"/> does, all durable once
    /// this returns (a backend may commit them in one transaction). Returns each alert's <see cref="AlertEntry.Seq"/> or 0, in order.
    /// </summary>
    IReadOnlyList<long> RecordChecks(IReadOnlyList<CheckRecord> checks)
    {
        ArgumentNullException.ThrowIfNull(checks);
        var ids = new long[checks.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = RecordCheck(checks[i]);
        }

        return ids;
    }

    StoreStats GetStats();

    /// <summary>A named setting kept in the store (e.g. a profile's seal), or null.</summary>
    string? GetSetting(string key);

    /// <summary>Sets or replaces a named setting, in one transaction.</summary>
    void SetSetting(string key, string value);
}

using System.Text.Json;
using Sysprint.Detection;
using Sysprint.Diagnostics;
using Sysprint.Engine;
using Sysprint.Integrity;
using Sysprint.Mapping;
using Sysprint.Storage;

namespace Sysprint.App.Profiles;

/// <summary>
/// Adding an export file's profile to a store (<c>import</c>): read and checked whole (with a
/// verifier, its seal too) before the store is touched, then written in one transaction.
/// </summary>
public static class ImportService
{
    /// <summary>Reads the export file at <paramref name="path"/>, its window counts included.</summary>
    /// <exception cref="SysprintException">Not a valid export (MalformedInput); the file cannot be read (InputMissing).</exception>
    public static ProfileImport Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        ProfileImport profile;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path));
            profile = ProfileImport.Parse(doc.RootElement, path);
        }
        catch (JsonException e)
        {
            throw new SysprintException(ErrorKind.MalformedInput, $"{path}: not a valid sysprint export: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SysprintException(ErrorKind.InputMissing, $"{path}: cannot read: {e.Message}", e);
        }

        profile.WindowModels(path);
        return profile;
    }

    /// <summary>
    /// Writes <paramref name="profile"/> (read from <paramref name="path"/>) into <paramref name="store"/>,
    /// whose mapping is <paramref name="table"/>: in place of a profile of the same name only when
    /// <paramref name="replace"/>. Verify it first (<see cref="ProfileImport.Verify"/>): nothing here checks a seal.
    /// </summary>
    /// <exception cref="SysprintException">
    /// A name has another number in the store's mapping (MalformedInput); the profile exists and
    /// <paramref name="replace"/> is false (Usage, with the remedy <see cref="RemedyKind.ReplaceProfile"/>).
    /// </exception>
    public static ImportResult Import(IFingerprintStore store, SyscallTable table, ProfileImport profile, string path, bool replace)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(path);

        // Numbers must mean the same calls here: a mismatch would silently change the fingerprint.
        var newNames = new List<KeyValuePair<int, string>>();
        foreach (var (nr, name) in profile.Names)
        {
            if (table.TryGetNumber(name, out int here))
            {
                if (here != nr)
                {
                    throw new SysprintException(ErrorKind.MalformedInput,
                        $"{path}: '{name}' is number {nr} in the export but {here} in {store.Location} ({table.Source}): the mappings differ");
                }
            }
            else
            {
                table.Add(nr, name);
                newNames.Add(new KeyValuePair<int, string>(nr, name));
            }
        }

        if (!replace && store.FindProfile(profile.Profile) is not null)
        {
            throw new SysprintException(ErrorKind.Usage, $"{store.Location}: profile '{profile.Profile}' exists already")
            {
                Remedy = RemedyKind.ReplaceProfile,
            };
        }

        // Everything was verified above: the old profile is replaced by the new one in one
        // transaction, so a running agent or the fleet's feed never sees it missing or half written.
        int transitions = profile.ToFingerprint().TransitionCount;
        string from = "import:" + Path.GetFullPath(path);
        var logs = new List<ReplacementLog>();
        if (profile.Logs.Count == 0)
        {
            // The fingerprint alone: one stand-in log carries it (the window detectors will refuse the profile).
            (string sha, long size) = Trainer.Hash(path);
            logs.Add(new ReplacementLog(new LearntLog(from, size, sha, 0, transitions, transitions, DateTimeOffset.UtcNow), profile.Grams, null));
        }
        else
        {
            // The learnt logs as they were, each with its window counts; the first carries the fingerprint.
            IReadOnlyList<SubstringModel> windows = profile.WindowModels(path);
            for (int i = 0; i < profile.Logs.Count; i++)
            {
                LogWindows log = profile.Logs[i];
                logs.Add(new ReplacementLog(new LearntLog(from, 0, log.Sha256, log.Syscalls, i == 0 ? transitions : 0, transitions, DateTimeOffset.UtcNow),
                    i == 0 ? profile.Grams : [], windows[i]));
            }
        }

        List<KeyValuePair<string, string>> settings = profile.Seal is null ? [] : [new(Seal.SettingKey(profile.Profile), profile.Seal.ToJson())];
        bool replaced = store.ReplaceProfile(new ProfileReplacement(profile.Profile, profile.Window, profile.Detector, profile.Threshold, newNames, logs, settings));
        return new ImportResult(profile.Profile, replaced, transitions, profile.Window, profile.Logs.Count);
    }
}

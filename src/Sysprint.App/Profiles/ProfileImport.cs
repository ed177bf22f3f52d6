using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sysprint.Detection;
using Sysprint.Diagnostics;
using Sysprint.Integrity;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Storage;

namespace Sysprint.App.Profiles;

/// <summary>
/// A profile received as <c>sysprint export</c> writes it (from the fleet server's profile feed),
/// checked and written into a store in place of the profile of the same name.
/// </summary>
/// <param name="Digest">SHA-256 (hex) of the export's JSON text: the same text, the same profile.</param>
public sealed record ProfileImport(
    string Profile,
    int Window,
    string Detector,
    double Threshold,
    string Mapping,
    IReadOnlyDictionary<int, string> Names,
    IReadOnlyList<int[]> Grams,
    IReadOnlyList<LogWindows> Logs,
    Seal? Seal,
    string Digest)
{
    /// <summary>Reads one export object.</summary>
    /// <exception cref="SysprintException">Not a sysprint export (65), naming <paramref name="where"/>.</exception>
    public static ProfileImport Parse(JsonElement root, string where)
    {
        ArgumentNullException.ThrowIfNull(where);
        try
        {
            if (root.GetProperty("format").GetString() != ProfileExport.FormatVersion)
            {
                throw new SysprintException(ErrorKind.MalformedInput, $"{where}: not a sysprint export (format '{root.GetProperty("format").GetString()}')");
            }

            var names = new Dictionary<int, string>();
            foreach (JsonProperty p in root.GetProperty("names").EnumerateObject())
            {
                names[int.Parse(p.Name, CultureInfo.InvariantCulture)] = p.Value.GetString()!;
            }

            int window = root.GetProperty("window").GetInt32();
            if (window is < Fingerprint.MinWindow or > Fingerprint.MaxWindow)
            {
                throw new SysprintException(ErrorKind.MalformedInput, $"{where}: window {window} is out of range");
            }

            var grams = root.GetProperty("grams").EnumerateArray().Select(g => Fingerprint.ParseGram(g.GetString()!)).ToList();
            if (grams.Any(g => g.Length == 0 || g.Length > window))
            {
                throw new SysprintException(ErrorKind.MalformedInput, $"{where}: a gram is longer than the window {window}");
            }

            Seal? seal = root.TryGetProperty("seal", out JsonElement s) && s.ValueKind == JsonValueKind.Object ? Seal.FromJson(s.GetRawText()) : null;
            var logs = new List<LogWindows>();
            if (root.TryGetProperty("logs", out JsonElement l) && l.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement log in l.EnumerateArray())
                {
                    logs.Add(new LogWindows(log.GetProperty("sha256").GetString()!, log.GetProperty("syscalls").GetInt64(), log.GetProperty("windows").GetBytesFromBase64()));
                }

                if (logs.Select(x => x.Sha256).Distinct(StringComparer.Ordinal).Count() != logs.Count)
                {
                    throw new SysprintException(ErrorKind.MalformedInput, $"{where}: a learnt log is listed twice");
                }
            }

            string digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(root.GetRawText())));
            return new ProfileImport(root.GetProperty("profile").GetString()!, window, root.GetProperty("detector").GetString()!,
                root.GetProperty("threshold").GetDouble(), root.TryGetProperty("mapping", out JsonElement m) ? m.GetString()! : "export", names, grams, logs, seal, digest);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new SysprintException(ErrorKind.MalformedInput, $"{where}: not a valid sysprint export: {e.Message}", e);
        }
    }

    /// <summary>Each learnt log's window counts, read (in the order of <see cref="Logs"/>).</summary>
    /// <exception cref="SysprintException">A log's window counts do not read as such (MalformedInput), naming <paramref name="where"/>.</exception>
    public IReadOnlyList<SubstringModel> WindowModels(string where)
    {
        var models = new List<SubstringModel>(Logs.Count);
        foreach (LogWindows log in Logs)
        {
            var model = new SubstringModel(capacity: 64);
            try
            {
                model.AddLog(log.Windows, 0);
            }
            catch (InvalidDataException e)
            {
                throw new SysprintException(ErrorKind.MalformedInput, $"{where}: the window counts of log {log.Sha256}: {e.Message}");
            }

            models.Add(model);
        }

        return models;
    }

    /// <summary>The fingerprint the export holds.</summary>
    public Fingerprint ToFingerprint()
    {
        var fingerprint = new Fingerprint(Window);
        foreach (int[] gram in Grams)
        {
            fingerprint.Add(gram);
        }

        return fingerprint;
    }

    /// <summary>
    /// With <paramref name="verifier"/>, refuses (77) a profile whose seal does not cover its
    /// fingerprint and window counts; without, checks nothing.
    /// </summary>
    public void Verify(SealVerifier? verifier, string where)
    {
        if (verifier is null)
        {
            return;
        }

        var table = new SyscallTable(Mapping);
        foreach ((int nr, string name) in Names)
        {
            table.Add(nr, name);
        }

        verifier.Verify(Seal, Profile, ToFingerprint(), table, where);
        if (Logs.Count > 0 && Seal?.WindowsDigest is not null)
        {
            verifier.VerifyWindows(Seal, Profile, WindowsDigest.Compute(Logs.Select(l => (l.Sha256, l.Windows))), where);
        }
    }

    /// <summary>
    /// Writes the profile into <paramref name="store"/> in place of one of the same name (its
    /// fingerprint, window counts and seal), the store's mapping taking the names it lacks, with
    /// <paramref name="settings"/>, in one transaction (<see cref="IFingerprintStore.ReplaceProfile"/>):
    /// a reader sees the old profile or the new one, never neither nor part of it.
    /// </summary>
    /// <exception cref="SysprintException">A name has another number in the store's mapping (65).</exception>
    public void ReplaceIn(IFingerprintStore store, string where, IReadOnlyList<KeyValuePair<string, string>>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        SyscallTable? table = store.LoadMapping();
        if (table is null)
        {
            // A store that starts from the fleet's profiles: it needs every call of its ABI, not
            // only the profile's, or a call the profile never saw would not be read in a log.
            table = SyscallTable.BuiltinAbis.Contains(Mapping) ? SyscallTable.Builtin(Mapping) : new SyscallTable(Mapping);
            store.SaveMapping(table);
        }

        var newNames = new List<KeyValuePair<int, string>>();
        foreach ((int nr, string name) in Names)
        {
            if (table.TryGetNumber(name, out int here))
            {
                if (here != nr)
                {
                    throw new SysprintException(ErrorKind.MalformedInput,
                        $"{where}: '{name}' is number {nr} in profile '{Profile}' but {here} in {store.Location} ({table.Source}): the mappings differ");
                }
            }
            else
            {
                newNames.Add(new KeyValuePair<int, string>(nr, name));
            }
        }

        int transitions = ToFingerprint().TransitionCount;
        var logs = new List<ReplacementLog>();
        if (Logs.Count == 0)
        {
            // The fingerprint alone: one stand-in log carries it (the window detectors will refuse the profile).
            logs.Add(new ReplacementLog(new LearntLog(where, 0, Digest, 0, transitions, transitions, DateTimeOffset.UtcNow), Grams, null));
        }
        else
        {
            for (int i = 0; i < Logs.Count; i++)
            {
                var windows = new SubstringModel(capacity: 64);
                windows.AddLog(Logs[i].Windows, 0);
                logs.Add(new ReplacementLog(new LearntLog(where, 0, Logs[i].Sha256, Logs[i].Syscalls, i == 0 ? transitions : 0, transitions, DateTimeOffset.UtcNow),
                    i == 0 ? Grams : [], windows));
            }
        }

        var written = new List<KeyValuePair<string, string>>();
        if (Seal is not null)
        {
            written.Add(new KeyValuePair<string, string>(Seal.SettingKey(Profile), Seal.ToJson()));
        }

        written.AddRange(settings ?? []);
        store.ReplaceProfile(new ProfileReplacement(Profile, Window, Detector, Threshold, newNames, logs, written));
    }
}

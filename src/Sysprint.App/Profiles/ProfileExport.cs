using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Sysprint.Integrity;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Storage;

namespace Sysprint.App.Profiles;

/// <summary>
/// A profile as <c>sysprint export</c> writes it and the fleet server sends it to agents
/// (<c>GET /api/agent/profiles</c>): <c>format</c>, <c>profile</c>, <c>window</c>, <c>detector</c>,
/// <c>threshold</c>, <c>mapping</c>, the <c>names</c> of the calls it uses, its <c>grams</c>, the
/// window counts of its learnt <c>logs</c> (when every learnt log has them) and its <c>seal</c>.
/// </summary>
/// <param name="Transitions">The fingerprint's transition count (for messages).</param>
public sealed record ProfileExport(
    ProfileInfo Profile,
    string Mapping,
    IReadOnlyDictionary<int, string> Names,
    IReadOnlyList<int[]> Grams,
    int Transitions,
    IReadOnlyList<LogWindows> Logs,
    Seal? Seal)
{
    /// <summary>The <c>format</c> member of every export.</summary>
    public const string FormatVersion = "sysprint-export 1";

    /// <summary>
    /// The profile as the store holds it, with its stored seal, or, given <paramref name="sealKey"/>,
    /// sealed afresh with that key (the fleet key of <c>serve --seal-key</c>), over its fingerprint and
    /// window counts as they are now.
    /// </summary>
    public static ProfileExport FromStore(IFingerprintStore store, ProfileInfo profile, SyscallTable table, ECDsa? sealKey = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(table);
        Fingerprint fingerprint = store.LoadFingerprint(profile);
        List<int[]> grams = [.. fingerprint.Grams()];
        var used = new SortedSet<int>();
        foreach (int[] gram in grams)
        {
            used.UnionWith(gram);
        }

        var names = new SortedDictionary<int, string>();
        foreach (int nr in used)
        {
            names[nr] = table.NameOf(nr);
        }

        // The window detectors' counts, log by log, when every learnt log has them.
        IReadOnlyList<LogWindows> logs = store.ListLogWindows(profile.Id);
        if (logs.Count == 0 || logs.Count != store.ListLearntLogs(profile.Id).Count)
        {
            logs = [];
        }

        Seal? seal = sealKey is null
            ? Seal.FromJson(store.GetSetting(Seal.SettingKey(profile.Name)))
            : Seal.Create(profile.Name, FingerprintDigest.Compute(profile.Name, fingerprint, table), sealKey,
                logs.Count > 0 ? WindowsDigest.Compute(logs.Select(l => (l.Sha256, l.Windows))) : null);
        return new ProfileExport(profile, table.Source, names, grams, fingerprint.TransitionCount, logs, seal);
    }

    /// <summary>Writes the export's JSON object.</summary>
    public void Write(Utf8JsonWriter json)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.WriteStartObject();
        json.WriteString("format", FormatVersion);
        json.WriteString("profile", Profile.Name);
        json.WriteNumber("window", Profile.Window);
        json.WriteString("detector", Profile.Detector);
        json.WriteNumber("threshold", Profile.Threshold);
        json.WriteString("mapping", Mapping);
        json.WriteStartObject("names");
        foreach ((int nr, string name) in Names)
        {
            json.WriteString(nr.ToString(CultureInfo.InvariantCulture), name);
        }

        json.WriteEndObject();
        json.WriteStartArray("grams");
        foreach (int[] gram in Grams)
        {
            json.WriteStringValue(Fingerprint.FormatGram(gram));
        }

        json.WriteEndArray();
        if (Logs.Count > 0)
        {
            json.WriteStartArray("logs");
            foreach (LogWindows log in Logs)
            {
                json.WriteStartObject();
                json.WriteString("sha256", log.Sha256);
                json.WriteNumber("syscalls", log.Syscalls);
                json.WriteBase64String("windows", log.Windows);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        if (Seal is null)
        {
            json.WriteNull("seal");
        }
        else
        {
            json.WritePropertyName("seal");
            json.WriteRawValue(Seal.ToJson());
        }

        json.WriteEndObject();
    }
}

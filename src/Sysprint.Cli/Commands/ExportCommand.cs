using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sysprint.Diagnostics;
using Sysprint.Integrity;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Storage;

namespace Sysprint.Cli.Commands;

/// <summary>
/// <c>sysprint export</c> and <c>import</c>: move a (signed) fingerprint between hosts, so one
/// database serves many programs and VMs, as the paper intends.
/// </summary>
internal static class ExportCommand
{
    public const string FormatVersion = "sysprint-export 1";

    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Db();
        var profile = CommonOptions.Profile();
        var output = new Option<string>("--output", "-o") { Description = "The export file", HelpName = "FILE", Required = true };
        var command = new Command("export", "Write a profile's fingerprint (and its seal, if sealed) to a file for another host") { db, profile, output };
        command.SetAction(result =>
        {
            StoreAddress address = StoreLocator.Resolve(result.GetValue(db), context);
            using IFingerprintStore store = StoreLocator.Open(address, create: false, context);
            SyscallTable table = StoreLocator.Mapping(store, null, null);
            string name = result.GetValue(profile)!;
            ProfileInfo info = store.FindProfile(name) ?? throw new SysprintException(ExitCodes.InputMissing, $"{address}: no profile '{name}'");
            Fingerprint fingerprint = store.LoadFingerprint(info);
            Seal? seal = Seal.FromJson(store.GetSetting(Seal.SettingKey(name)));
            string path = result.GetValue(output)!;
            int windowLogs;
            using (var stream = File.Create(path))
            using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                json.WriteStartObject();
                json.WriteString("format", FormatVersion);
                json.WriteString("profile", info.Name);
                json.WriteNumber("window", info.Window);
                json.WriteString("detector", info.Detector);
                json.WriteNumber("threshold", info.Threshold);
                json.WriteString("mapping", table.Source);
                json.WriteStartObject("names");
                var used = new SortedSet<int>();
                var grams = fingerprint.Grams().ToList();
                foreach (int[] gram in grams)
                {
                    used.UnionWith(gram);
                }

                foreach (int nr in used)
                {
                    json.WriteString(nr.ToString(CultureInfo.InvariantCulture), table.NameOf(nr));
                }

                json.WriteEndObject();
                json.WriteStartArray("grams");
                foreach (int[] gram in grams)
                {
                    json.WriteStringValue(Fingerprint.FormatGram(gram));
                }

                json.WriteEndArray();

                // The window detectors' counts, log by log, when every learnt log has them.
                IReadOnlyList<LogWindows> logs = store.ListLogWindows(info.Id);
                windowLogs = logs.Count > 0 && logs.Count == store.ListLearntLogs(info.Id).Count ? logs.Count : 0;
                if (windowLogs > 0)
                {
                    json.WriteStartArray("logs");
                    foreach (LogWindows log in logs)
                    {
                        json.WriteStartObject();
                        json.WriteString("sha256", log.Sha256);
                        json.WriteNumber("syscalls", log.Syscalls);
                        json.WriteBase64String("windows", log.Windows);
                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                }

                if (seal is null)
                {
                    json.WriteNull("seal");
                }
                else
                {
                    json.WritePropertyName("seal");
                    json.WriteRawValue(seal.ToJson());
                }

                json.WriteEndObject();
            }

            string counts = windowLogs > 0 ? $", window counts of {windowLogs} logs" : "";
            context.Out.WriteLine($"exported profile '{name}' ({fingerprint.TransitionCount} transitions{counts}{(seal is null ? ", not sealed" : ", sealed by key " + seal.KeyId)}) to {path}");
            return ExitCodes.Ok;
        });
        return command;
    }
}

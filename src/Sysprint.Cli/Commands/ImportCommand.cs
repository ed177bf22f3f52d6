using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sysprint.Detection;
using Sysprint.Diagnostics;
using Sysprint.Engine;
using Sysprint.Integrity;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Storage;

namespace Sysprint.Cli.Commands;

/// <summary><c>sysprint import</c>: adds an exported fingerprint to this host's store, verifying its seal first with --trust.</summary>
internal static class ImportCommand
{
    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Db();
        var trust = CommonOptions.Trust();
        var file = new Argument<string>("FILE") { Description = "A file written by 'sysprint export'" };
        var replace = new Option<bool>("--replace")
        {
            Description = "Replace a profile of the same name (its fingerprint, learnt logs, window counts and seal) with the exported one; a running agent picks it up",
        };
        var command = new Command("import", "Add an exported fingerprint to the store; with --trust, only if its seal verifies") { db, trust, replace, file };
        command.SetAction(result =>
        {
            string path = result.GetValue(file)!;
            Export export = Read(path);

            // Verify before touching the store: a refused import leaves nothing behind.
            var names = new SyscallTable("export");
            foreach (var (nr, name) in export.Names)
            {
                names.Add(nr, name);
            }

            var fingerprint = new Fingerprint(export.Window);
            foreach (int[] gram in export.Grams)
            {
                fingerprint.Add(gram);
            }

            // The window counts must read as such, and with --trust be the sealed ones (when sealed with them).
            var windowModels = new List<SubstringModel>();
            foreach (LogWindows log in export.Logs)
            {
                var model = new SubstringModel(capacity: 64);
                try
                {
                    model.AddLog(log.Windows, 0);
                }
                catch (InvalidDataException e)
                {
                    throw new SysprintException(ErrorKind.MalformedInput, $"{path}: the window counts of log {log.Sha256}: {e.Message}");
                }

                windowModels.Add(model);
            }

            SealVerifier? verifier = CommonOptions.Verifier(result, trust, context);
            verifier?.Verify(export.Seal, export.Profile, fingerprint, names, path);
            if (verifier is not null && export.Logs.Count > 0 && export.Seal?.WindowsDigest is not null)
            {
                verifier.VerifyWindows(export.Seal, export.Profile, WindowsDigest.Compute(export.Logs.Select(l => (l.Sha256, l.Windows))), path);
            }

            StoreAddress address = StoreLocator.Resolve(result.GetValue(db), context);
            using IFingerprintStore store = StoreLocator.Open(address, create: true, context);
            SyscallTable table = StoreLocator.Mapping(store, null, null);

            // Numbers must mean the same calls here: a mismatch would silently change the fingerprint.
            var newNames = new List<KeyValuePair<int, string>>();
            foreach (var (nr, name) in export.Names)
            {
                if (table.TryGetNumber(name, out int here))
                {
                    if (here != nr)
                    {
                        throw new SysprintException(ErrorKind.MalformedInput,
                            $"{path}: '{name}' is number {nr} in the export but {here} in {address} ({table.Source}): the mappings differ");
                    }
                }
                else
                {
                    table.Add(nr, name);
                    newNames.Add(new KeyValuePair<int, string>(nr, name));
                }
            }

            if (store.FindProfile(export.Profile) is not null && !result.GetValue(replace))
            {
                throw new SysprintException(ErrorKind.Usage,
                    $"{address}: profile '{export.Profile}' exists already; add --replace to replace it with the exported one, or import into another store");
            }

            // Everything was verified above: the old profile is replaced by the new one in one
            // transaction, so a running agent or the fleet's feed never sees it missing or half written.
            string from = "import:" + Path.GetFullPath(path);
            var logs = new List<ReplacementLog>();
            if (export.Logs.Count == 0)
            {
                // The fingerprint alone: one stand-in log carries it (the window detectors will refuse the profile).
                (string sha, long size) = Trainer.Hash(path);
                logs.Add(new ReplacementLog(new LearntLog(from, size, sha, 0, fingerprint.TransitionCount, fingerprint.TransitionCount, DateTimeOffset.UtcNow),
                    export.Grams, null));
            }
            else
            {
                // The learnt logs as they were, each with its window counts; the first carries the fingerprint.
                for (int i = 0; i < export.Logs.Count; i++)
                {
                    LogWindows log = export.Logs[i];
                    logs.Add(new ReplacementLog(new LearntLog(from, 0, log.Sha256, log.Syscalls, i == 0 ? fingerprint.TransitionCount : 0, fingerprint.TransitionCount,
                        DateTimeOffset.UtcNow), i == 0 ? export.Grams : [], windowModels[i]));
                }
            }

            List<KeyValuePair<string, string>> settings = export.Seal is null ? [] : [new(Seal.SettingKey(export.Profile), export.Seal.ToJson())];
            bool replaced = store.ReplaceProfile(new ProfileReplacement(export.Profile, export.Window, export.Detector, export.Threshold, newNames, logs, settings));

            bool verified = !string.IsNullOrEmpty(result.GetValue(trust) ?? context.Environment("SYSPRINT_TRUST"));
            string counts = export.Logs.Count > 0 ? $", window counts of {export.Logs.Count} logs" : "";
            context.Out.WriteLine($"{(replaced ? "replaced" : "imported")} profile '{export.Profile}' ({fingerprint.TransitionCount} transitions, window {export.Window}{counts}){(verified ? ", seal verified" : "")}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private sealed record Export(string Profile, int Window, string Detector, double Threshold, Dictionary<int, string> Names, List<int[]> Grams, Seal? Seal,
        List<LogWindows> Logs);

    private static Export Read(string path)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path));
            JsonElement root = doc.RootElement;
            if (root.GetProperty("format").GetString() != ExportCommand.FormatVersion)
            {
                throw new SysprintException(ErrorKind.MalformedInput, $"{path}: not a sysprint export (format '{root.GetProperty("format").GetString()}')");
            }

            var names = new Dictionary<int, string>();
            foreach (JsonProperty p in root.GetProperty("names").EnumerateObject())
            {
                names[int.Parse(p.Name, CultureInfo.InvariantCulture)] = p.Value.GetString()!;
            }

            int window = root.GetProperty("window").GetInt32();
            if (window is < Fingerprint.MinWindow or > Fingerprint.MaxWindow)
            {
                throw new SysprintException(ErrorKind.MalformedInput, $"{path}: window {window} is out of range");
            }

            var grams = root.GetProperty("grams").EnumerateArray().Select(g => Fingerprint.ParseGram(g.GetString()!)).ToList();
            if (grams.Any(g => g.Length == 0 || g.Length > window))
            {
                throw new SysprintException(ErrorKind.MalformedInput, $"{path}: a gram is longer than the window {window}");
            }

            Seal? seal = root.TryGetProperty("seal", out JsonElement s) && s.ValueKind == JsonValueKind.Object
                ? Seal.FromJson(s.GetRawText())
                : null;
            var logs = new List<LogWindows>();
            if (root.TryGetProperty("logs", out JsonElement l) && l.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement log in l.EnumerateArray())
                {
                    logs.Add(new LogWindows(log.GetProperty("sha256").GetString()!, log.GetProperty("syscalls").GetInt64(), log.GetProperty("windows").GetBytesFromBase64()));
                }

                if (logs.Select(x => x.Sha256).Distinct(StringComparer.Ordinal).Count() != logs.Count)
                {
                    throw new SysprintException(ErrorKind.MalformedInput, $"{path}: a learnt log is listed twice");
                }
            }

            return new Export(root.GetProperty("profile").GetString()!, window, root.GetProperty("detector").GetString()!,
                root.GetProperty("threshold").GetDouble(), names, grams, seal, logs);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new SysprintException(ErrorKind.MalformedInput, $"{path}: not a valid sysprint export: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SysprintException(ErrorKind.InputMissing, $"{path}: cannot read: {e.Message}", e);
        }
    }
}

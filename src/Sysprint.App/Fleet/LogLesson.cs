using System.Globalization;
using System.Text.Json;
using Sysprint.Detection;
using Sysprint.Engine;
using Sysprint.Fleet;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Parsing;

namespace Sysprint.App.Fleet;

/// <summary>
/// What one normal log teaches a profile, as an agent uploads it to a learning window
/// (<c>POST /api/agent/learn</c>): read as <c>sysprint train</c> reads it (the same grams, the same
/// window counts for the window detectors, the same SHA-256 of its bytes), but sent without the log
/// itself, so no argument, path or data of the VM leaves the host.
/// </summary>
/// <param name="Names">The name of every call the grams and window counts use (the server checks them against its mapping).</param>
public sealed record LogLesson(LearningUpload Upload, string Mapping, IReadOnlyDictionary<int, string> Names)
{
    /// <summary>Reads <paramref name="path"/> for a profile of window <paramref name="window"/>.</summary>
    /// <exception cref="Diagnostics.SysprintException">The log cannot be read (66) or is malformed (65).</exception>
    public static LogLesson FromLog(string path, string vm, SyscallTable table, LogReadOptions options, int window)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(options);
        (string sha256, _) = Trainer.Hash(path);
        var fingerprint = new Fingerprint(window);
        var learner = new FingerprintLearner(fingerprint) { MaxThreads = options.MaxThreads, MaxCalls = options.MaxCalls };
        var windows = new WindowModelLearner(new SubstringModel(capacity: 1024)) { MaxThreads = options.MaxThreads };
        LogReadResult read = LogReader.Read(path, table, options, new TeeSink(learner, windows));
        var grams = new List<string>();
        var used = new SortedDictionary<int, string>();
        foreach (int[] gram in fingerprint.Grams())
        {
            grams.Add(Fingerprint.FormatGram(gram));
            foreach (int nr in gram)
            {
                used.TryAdd(nr, table.NameOf(nr));
            }
        }

        byte[] counts = windows.Model.ToBytes();
        foreach (int nr in new SubstringModel(capacity: 64).AddLog(counts, 0))
        {
            used.TryAdd(nr, table.NameOf(nr));
        }

        return new LogLesson(new LearningUpload(sha256, vm, Path.GetFullPath(path), read.Syscalls, grams, counts), table.Source, used);
    }

    /// <summary>The upload's JSON: <c>{window, profile, vm, log, sha256, syscalls, mapping, names, grams, windows}</c>.</summary>
    public void Write(Utf8JsonWriter json, long windowId, string profile)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.WriteStartObject();
        json.WriteNumber("window", windowId);
        json.WriteString("profile", profile);
        json.WriteString("vm", Upload.Vm);
        json.WriteString("log", Upload.Log);
        json.WriteString("sha256", Upload.Sha256);
        json.WriteNumber("syscalls", Upload.Syscalls);
        json.WriteString("mapping", Mapping);
        json.WriteStartObject("names");
        foreach ((int nr, string name) in Names)
        {
            json.WriteString(nr.ToString(CultureInfo.InvariantCulture), name);
        }

        json.WriteEndObject();
        json.WriteStartArray("grams");
        foreach (string gram in Upload.Grams)
        {
            json.WriteStringValue(gram);
        }

        json.WriteEndArray();
        if (Upload.Windows is { } bytes)
        {
            json.WriteBase64String("windows", bytes);
        }

        json.WriteEndObject();
    }
}

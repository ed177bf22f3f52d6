using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sysprint.Diagnostics;
using Sysprint.Storage;

namespace Sysprint.Cli.Commands;

/// <summary>
/// <c>sysprint agent-status</c>: what the agent (<c>watch</c>) watches, how far behind each log it
/// is, what it read, and the alerts sent and still pending per sink, read from the store.
/// </summary>
internal static class AgentStatusCommand
{
    private static readonly AgentStatusJson s_json = new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Db();
        var json = new Option<bool>("--json") { Description = "One JSON object: agent, files, sinks" };
        var all = new Option<bool>("--all") { Description = "List every file, not only those being read or failed" };
        var config = new Option<string?>("--config")
        {
            Description = "The agent's config file: its store ('db') is the one shown, unless --db",
            HelpName = "FILE",
        };
        var command = new Command("agent-status", "Show the agent's watched files, lag, lines and syscalls read, alerts sent and pending") { db, config, json, all };
        command.SetAction(result =>
        {
            string? configPath = result.GetValue(config);
            string? configDb = configPath is null ? null : Agent.Hosting.AgentConfig.Load(configPath).Db;
            StoreAddress address = StoreLocator.Resolve(result.GetValue(db) ?? configDb, context);
            using IAgentStore agent = StoreLocator.OpenAgent(address, context);
            IReadOnlyDictionary<string, string> info = agent.GetAgentInfo();
            IReadOnlyList<WatchedFile> files = agent.ListWatchedFiles();
            IReadOnlyList<SinkCounts> sinks = agent.CountDeliveries();
            bool running = Running(info, out string state);
            if (result.GetValue(json))
            {
                WriteJson(context.Out, info, running, files, sinks);
            }
            else
            {
                WriteText(context.Out, info, state, files, sinks, result.GetValue(all));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Running when the agent said so, its heartbeat is recent and its process exists.</summary>
    private static bool Running(IReadOnlyDictionary<string, string> info, out string state)
    {
        if (!info.TryGetValue("heartbeat", out string? beat) || !DateTimeOffset.TryParse(beat, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTimeOffset heartbeat))
        {
            state = "never ran on this store";
            return false;
        }

        TimeSpan age = DateTimeOffset.UtcNow - heartbeat;
        long checkpointMs = info.TryGetValue("checkpoint_ms", out string? ms) && long.TryParse(ms, CultureInfo.InvariantCulture, out long parsed) ? parsed : 1000;
        string pid = info.GetValueOrDefault("pid", "?");
        bool alive = info.GetValueOrDefault("state") == "running" && age < TimeSpan.FromMilliseconds((3 * checkpointMs) + 2000) && Directory.Exists($"/proc/{pid}");
        state = alive
            ? string.Create(CultureInfo.InvariantCulture, $"running, pid {pid}, since {info.GetValueOrDefault("started", "?")}, heartbeat {age.TotalSeconds:0.0} s ago")
            : info.GetValueOrDefault("state") == "stopped"
                ? $"stopped at {beat}"
                : $"not running (pid {pid} gone; last heartbeat {beat}: killed?)";
        return alive;
    }

    private static long Lag(WatchedFile file)
    {
        if (file.State != WatchedFileStates.Reading)
        {
            return 0;
        }

        var info = new FileInfo(file.Path);
        long size = info.Exists ? info.Length : file.Size;
        return Math.Max(0, size - file.Bytes);
    }

    private static void WriteText(TextWriter output, IReadOnlyDictionary<string, string> info, string state, IReadOnlyList<WatchedFile> files,
        IReadOnlyList<SinkCounts> sinks, bool all)
    {
        output.WriteLine($"agent    {state}");
        if (info.TryGetValue("spools", out string? spools))
        {
            output.WriteLine($"spools   {Printable.Escape(spools.Replace('\n', ' '))}");
        }

        var counts = files.GroupBy(f => f.State).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"files    {counts.GetValueOrDefault(WatchedFileStates.Reading)} reading, {counts.GetValueOrDefault(WatchedFileStates.Done)} done, {counts.GetValueOrDefault(WatchedFileStates.Failed)} failed, {counts.GetValueOrDefault(WatchedFileStates.Replaced)} replaced; {files.Sum(f => f.Lines):N0} lines, {files.Sum(f => f.Syscalls):N0} syscalls read, lag {Bytes(files.Sum(Lag))}"));
        var shown = files.Where(f => all || f.State is WatchedFileStates.Reading or WatchedFileStates.Failed).ToList();
        if (shown.Count > 0)
        {
            output.WriteLine();
            output.WriteLine($"{"VM",-12} {"STATE",-8} {"LAG",9} {"LINES",11} {"SYSCALLS",11} {"ALERTS",6}  LOG");
            foreach (WatchedFile f in shown)
            {
                string note = f.Error is null ? "" : "  (" + Printable.Escape(f.Error) + ")";
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{Printable.Escape(f.Vm),-12} {f.State,-8} {Bytes(Lag(f)),9} {f.Lines,11:N0} {f.Syscalls,11:N0} {f.Alerts,6}  {Printable.Escape(f.Path)}{note}"));
            }
        }

        output.WriteLine();
        if (sinks.Count == 0)
        {
            output.WriteLine("sinks    none used yet");
            return;
        }

        output.WriteLine($"{"SENT",8} {"PENDING",8} {"OLDEST",8} {"FAILED",7}  SINK");
        foreach (SinkCounts s in sinks)
        {
            string error = s.LastError is null || s.Pending == 0 ? "" : $"  (last error {s.LastErrorTime:yyyy-MM-dd HH:mm:ss}Z: {Printable.Escape(s.LastError)})";
            string oldest = s.OldestPending is { } o ? Age(DateTimeOffset.UtcNow - o) : "-";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Delivered,8} {s.Pending,8} {oldest,8} {s.FailedAttempts,7}  {Printable.Escape(s.Sink)}{error}"));
        }
    }

    /// <summary>The agent's facts as typed values: numbers as numbers, lists as arrays.</summary>
    private static Dictionary<string, object?> TypedInfo(IReadOnlyDictionary<string, string> info)
    {
        var typed = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in info)
        {
            typed[key] = key switch
            {
                "spools" or "sinks" => value.Length == 0 ? Array.Empty<string>() : value.Split('\n'),
                "pid" or "checkpoint_ms" or "alerts_raised" or "alerts_repeated" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long number) => number,
                _ => value,
            };
        }

        if (info.TryGetValue("heartbeat", out string? beat) && DateTimeOffset.TryParse(beat, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTimeOffset heartbeat))
        {
            typed["heartbeat_age_s"] = Seconds(DateTimeOffset.UtcNow - heartbeat);
        }

        return typed;
    }

    private static double Seconds(TimeSpan age) => Math.Round(Math.Max(0, age.TotalSeconds), 3);

    private static void WriteJson(TextWriter output, IReadOnlyDictionary<string, string> info, bool running, IReadOnlyList<WatchedFile> files, IReadOnlyList<SinkCounts> sinks)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateTimeOffset? oldest = sinks.Where(s => s.OldestPending is not null).Select(s => s.OldestPending).Min();
        var counts = files.GroupBy(f => f.State).ToDictionary(g => g.Key, g => g.Count());
        var document = new Dictionary<string, object?>
        {
            ["running"] = running,
            ["agent"] = TypedInfo(info),
            ["totals"] = new Dictionary<string, object?>
            {
                ["reading"] = counts.GetValueOrDefault(WatchedFileStates.Reading),
                ["done"] = counts.GetValueOrDefault(WatchedFileStates.Done),
                ["failed"] = counts.GetValueOrDefault(WatchedFileStates.Failed),
                ["replaced"] = counts.GetValueOrDefault(WatchedFileStates.Replaced),
                ["lines"] = files.Sum(f => f.Lines),
                ["syscalls"] = files.Sum(f => f.Syscalls),
                ["lag_bytes"] = files.Sum(Lag),
                ["pending"] = sinks.Sum(s => s.Pending),
                ["oldest_pending"] = oldest,
                ["oldest_pending_age_s"] = oldest is { } o ? Seconds(now - o) : null,
            },
            ["files"] = files.Select(f => new Dictionary<string, object?>
            {
                ["vm"] = f.Vm,
                ["path"] = f.Path,
                ["state"] = f.State,
                ["bytes"] = f.Bytes,
                ["size"] = f.Size,
                ["lag_bytes"] = Lag(f),
                ["lines"] = f.Lines,
                ["syscalls"] = f.Syscalls,
                ["alerts"] = f.Alerts,
                ["error"] = f.Error,
                ["updated"] = f.Updated,
            }).ToList(),
            ["sinks"] = sinks.Select(s => new Dictionary<string, object?>
            {
                ["sink"] = s.Sink,
                ["delivered"] = s.Delivered,
                ["pending"] = s.Pending,
                ["failed_attempts"] = s.FailedAttempts,
                ["last_delivered"] = s.LastDelivered,
                ["last_error"] = s.LastError,
                ["last_error_time"] = s.LastErrorTime,
                ["oldest_pending"] = s.OldestPending,
                ["oldest_pending_age_s"] = s.OldestPending is { } p ? Seconds(now - p) : null,
            }).ToList(),
        };
        output.WriteLine(JsonSerializer.Serialize(document, s_json.DictionaryStringObject));
    }

    /// <summary>How long an alert has waited: <c>42 s</c>, <c>17 min</c>, <c>3.5 h</c>, <c>2.1 d</c>.</summary>
    private static string Age(TimeSpan age) => age.TotalSeconds switch
    {
        < 0 => "0 s",
        < 120 => string.Create(CultureInfo.InvariantCulture, $"{age.TotalSeconds:0} s"),
        < 7200 => string.Create(CultureInfo.InvariantCulture, $"{age.TotalMinutes:0} min"),
        < 172_800 => string.Create(CultureInfo.InvariantCulture, $"{age.TotalHours:0.0} h"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{age.TotalDays:0.0} d"),
    };

    private static string Bytes(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB"),
    };
}

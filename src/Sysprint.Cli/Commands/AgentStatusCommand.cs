using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sysprint.App.Agents;
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
            AgentStatus status = AgentStatusService.Read(agent, DateTimeOffset.UtcNow);
            if (result.GetValue(json))
            {
                WriteJson(context.Out, status);
            }
            else
            {
                WriteText(context.Out, status, result.GetValue(all));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static string State(AgentStatus status)
    {
        if (status.Info is not { } info)
        {
            return "never ran on this store";
        }

        string heartbeat = Time(info.Heartbeat);
        return status.Liveness switch
        {
            AgentLiveness.Running => string.Create(CultureInfo.InvariantCulture,
                $"running, pid {info.Pid}, since {Time(info.Started)}, heartbeat {status.HeartbeatAge!.Value.TotalSeconds:0.0} s ago"),
            AgentLiveness.Stopped => $"stopped at {heartbeat}",
            _ => string.Create(CultureInfo.InvariantCulture, $"not running (pid {info.Pid} gone; last heartbeat {heartbeat}: killed?)"),
        };
    }

    private static string Time(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);

    private static void WriteText(TextWriter output, AgentStatus status, bool all)
    {
        output.WriteLine($"agent    {State(status)}");
        if (status.Info is { } info)
        {
            output.WriteLine($"spools   {Printable.Escape(string.Join(' ', info.Spools))}");
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"files    {status.Count(WatchedFileStates.Reading)} reading, {status.Count(WatchedFileStates.Done)} done, {status.Count(WatchedFileStates.Failed)} failed, {status.Count(WatchedFileStates.Replaced)} replaced; {status.Lines:N0} lines, {status.Syscalls:N0} syscalls read, lag {Bytes(status.LagBytes)}"));
        var shown = status.Files.Where(f => all || f.File.State is WatchedFileStates.Reading or WatchedFileStates.Failed).ToList();
        if (shown.Count > 0)
        {
            output.WriteLine();
            output.WriteLine($"{"VM",-12} {"STATE",-8} {"LAG",9} {"LINES",11} {"SYSCALLS",11} {"ALERTS",6}  LOG");
            foreach ((WatchedFile f, long lag) in shown)
            {
                string note = f.Error is null ? "" : "  (" + Printable.Escape(f.Error) + ")";
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{Printable.Escape(f.Vm),-12} {f.State,-8} {Bytes(lag),9} {f.Lines,11:N0} {f.Syscalls,11:N0} {f.Alerts,6}  {Printable.Escape(f.Path)}{note}"));
            }
        }

        output.WriteLine();
        if (status.Sinks.Count == 0)
        {
            output.WriteLine("sinks    none used yet");
            return;
        }

        output.WriteLine($"{"SENT",8} {"PENDING",8} {"OLDEST",8} {"FAILED",7}  SINK");
        foreach (SinkCounts s in status.Sinks)
        {
            string error = s.LastError is null || s.Pending == 0 ? "" : $"  (last error {s.LastErrorTime:yyyy-MM-dd HH:mm:ss}Z: {Printable.Escape(s.LastError)})";
            string oldest = s.OldestPending is { } o ? Age(status.Now - o) : "-";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Delivered,8} {s.Pending,8} {oldest,8} {s.FailedAttempts,7}  {Printable.Escape(s.Sink)}{error}"));
        }
    }

    /// <summary>The agent's facts as typed values, by key as the store lists them: numbers as numbers, lists as arrays.</summary>
    private static Dictionary<string, object?> Facts(AgentStatus status)
    {
        var facts = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (status.Info is { } info)
        {
            facts["alerts_raised"] = info.AlertsRaised;
            facts["alerts_repeated"] = info.AlertsRepeated;
            facts["checkpoint_ms"] = (long)info.CheckpointInterval.TotalMilliseconds;
            facts["heartbeat"] = Time(info.Heartbeat);
            facts["pid"] = (long)info.Pid;
            facts["sinks"] = info.Sinks.ToArray();
            facts["spools"] = info.Spools.ToArray();
            facts["started"] = Time(info.Started);
            facts["state"] = info.Stopped ? "stopped" : "running";
            facts["heartbeat_age_s"] = Seconds(status.HeartbeatAge!.Value);
        }

        return facts;
    }

    private static double Seconds(TimeSpan age) => Math.Round(Math.Max(0, age.TotalSeconds), 3);

    private static void WriteJson(TextWriter output, AgentStatus status)
    {
        DateTimeOffset now = status.Now;
        DateTimeOffset? oldest = status.OldestPending;
        var document = new Dictionary<string, object?>
        {
            ["running"] = status.Running,
            ["agent"] = Facts(status),
            ["totals"] = new Dictionary<string, object?>
            {
                ["reading"] = status.Count(WatchedFileStates.Reading),
                ["done"] = status.Count(WatchedFileStates.Done),
                ["failed"] = status.Count(WatchedFileStates.Failed),
                ["replaced"] = status.Count(WatchedFileStates.Replaced),
                ["lines"] = status.Lines,
                ["syscalls"] = status.Syscalls,
                ["lag_bytes"] = status.LagBytes,
                ["pending"] = status.Pending,
                ["oldest_pending"] = oldest,
                ["oldest_pending_age_s"] = oldest is { } o ? Seconds(now - o) : null,
            },
            ["files"] = status.Files.Select(w => new Dictionary<string, object?>
            {
                ["vm"] = w.File.Vm,
                ["path"] = w.File.Path,
                ["state"] = w.File.State,
                ["bytes"] = w.File.Bytes,
                ["size"] = w.File.Size,
                ["lag_bytes"] = w.LagBytes,
                ["lines"] = w.File.Lines,
                ["syscalls"] = w.File.Syscalls,
                ["alerts"] = w.File.Alerts,
                ["error"] = w.File.Error,
                ["updated"] = w.File.Updated,
            }).ToList(),
            ["sinks"] = status.Sinks.Select(s => new Dictionary<string, object?>
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

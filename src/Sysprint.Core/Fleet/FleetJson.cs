using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sysprint.Fleet;

/// <summary>
/// The JSON of hosts and central alerts, one definition for the server's admin API
/// (<c>GET /api/hosts</c>, <c>GET /api/alerts</c>) and the CLI (<c>sysprint hosts --json</c>,
/// <c>sysprint alerts --json</c> on a PostgreSQL store).
/// </summary>
public static class FleetJson
{
    private static readonly JsonWriterOptions s_options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// <c>{"id", "group", "profile", "state", "opened", "closes", "closed", "learnt", "hosts", "logs", "learnt_logs", "new_transitions"}</c>:
    /// a learning window, <c>state</c> open, closing (closed, not learnt yet) or learnt.
    /// </summary>
    public static void WriteLearningWindow(Utf8JsonWriter json, LearningWindow window, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(window);
        json.WriteStartObject();
        json.WriteNumber("id", window.Id);
        json.WriteString("group", window.Group);
        json.WriteString("profile", window.Profile);
        json.WriteString("state", window.StateAt(now));
        WriteTime(json, "opened", window.Opened);
        WriteTime(json, "closes", window.Closes);
        WriteTime(json, "closed", window.Closed);
        WriteTime(json, "learnt", window.Learnt);
        json.WriteNumber("hosts", window.Hosts);
        json.WriteNumber("logs", window.Logs);
        if (window.LearntLogs is { } logs)
        {
            json.WriteNumber("learnt_logs", logs);
        }
        else
        {
            json.WriteNull("learnt_logs");
        }

        if (window.NewTransitions is { } added)
        {
            json.WriteNumber("new_transitions", added);
        }
        else
        {
            json.WriteNull("new_transitions");
        }

        json.WriteEndObject();
    }

    /// <summary>
    /// <c>{"name", "group", "state", "last_seen", "missed_heartbeats", "heartbeat_interval_s", "enrolled", "revoked",
    /// "version", "lag_bytes", "files", "pending": {sink: n}, "last_error"}</c>; the heartbeat's members are null before the first.
    /// </summary>
    public static void WriteHost(Utf8JsonWriter json, FleetHost host, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(host);
        json.WriteStartObject();
        json.WriteString("name", host.Name);
        json.WriteString("group", host.Group);
        json.WriteString("state", StateName(host.StateAt(now)));
        WriteTime(json, "last_seen", host.LastSeen);
        json.WriteNumber("missed_heartbeats", host.MissedHeartbeats(now));
        json.WriteNumber("heartbeat_interval_s", (long)host.HeartbeatInterval.TotalSeconds);
        WriteTime(json, "enrolled", host.Enrolled);
        WriteTime(json, "revoked", host.Revoked);
        FleetHeartbeat? beat = host.Heartbeat;
        WriteString(json, "version", beat?.Version);
        if (beat is null)
        {
            json.WriteNull("lag_bytes");
            json.WriteNull("files");
            json.WriteNull("pending");
        }
        else
        {
            json.WriteNumber("lag_bytes", beat.LagBytes);
            json.WriteNumber("files", beat.Files);
            json.WriteStartObject("pending");
            foreach (var (sink, count) in beat.Pending.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                json.WriteNumber(sink, count);
            }

            json.WriteEndObject();
        }

        WriteString(json, "last_error", beat?.LastError);
        if (beat?.VmsTotal is { } vms)
        {
            json.WriteNumber("vms_checked", vms);
        }
        else
        {
            json.WriteNull("vms_checked");
        }

        json.WriteEndObject();
    }

    /// <summary><c>"vms": [{"vm", "last_check", "logs", "anomalous", "failed"}, ...]</c>, as the heartbeat carries them.</summary>
    public static void WriteVms(Utf8JsonWriter json, IReadOnlyList<VmChecks> vms)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(vms);
        json.WriteStartArray("vms");
        foreach (VmChecks vm in vms)
        {
            json.WriteStartObject();
            json.WriteString("vm", vm.Vm);
            WriteTime(json, "last_check", vm.LastCheck);
            json.WriteNumber("logs", vm.Logs);
            json.WriteNumber("anomalous", vm.Anomalous);
            json.WriteNumber("failed", vm.Failed);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary>Reads what <see cref="WriteVms"/> wrote (the array itself).</summary>
    /// <exception cref="FormatException">A member is missing or of the wrong kind.</exception>
    public static List<VmChecks> ReadVms(JsonElement array)
    {
        var vms = new List<VmChecks>();
        foreach (JsonElement vm in array.EnumerateArray())
        {
            vms.Add(new VmChecks(vm.GetProperty("vm").GetString() ?? throw new FormatException("vm"),
                DateTimeOffset.Parse(vm.GetProperty("last_check").GetString() ?? throw new FormatException("last_check"), System.Globalization.CultureInfo.InvariantCulture),
                vm.GetProperty("logs").GetInt64(), vm.GetProperty("anomalous").GetInt64(), vm.GetProperty("failed").GetInt64()));
        }

        return vms;
    }

    /// <summary>
    /// <c>{"id": the agent's uuid, "host", "time", "received", "rule", "priority", "source", "vm", "log", "profile",
    /// "output", "seq", "alert": the alert as the agent sent it}</c>; <paramref name="more"/> writes further members (the console's status) before the object ends.
    /// </summary>
    public static void WriteAlert(Utf8JsonWriter json, FleetAlert alert, Action<Utf8JsonWriter>? more = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(alert);
        json.WriteStartObject();
        json.WriteString("id", alert.Uuid.ToString("D"));
        json.WriteString("host", alert.Host);
        WriteTime(json, "time", alert.Time);
        WriteTime(json, "received", alert.Received);
        json.WriteString("rule", alert.Rule);
        json.WriteString("priority", alert.Priority);
        json.WriteString("source", alert.Source);
        WriteString(json, "vm", alert.Vm);
        WriteString(json, "log", alert.Log);
        WriteString(json, "profile", alert.Profile);
        json.WriteString("output", alert.Output);
        json.WriteNumber("seq", alert.Seq);
        json.WritePropertyName("alert");
        json.WriteRawValue(alert.Json, skipInputValidation: true);
        more?.Invoke(json);
        json.WriteEndObject();
    }

    /// <summary>One value as a compact JSON text.</summary>
    public static string ToText(Action<Utf8JsonWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, s_options))
        {
            write(json);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary><c>ok</c>, <c>lagging</c>, <c>silent</c> or <c>revoked</c>.</summary>
    public static string StateName(HostState state) => state switch
    {
        HostState.Ok => "ok",
        HostState.Lagging => "lagging",
        HostState.Silent => "silent",
        _ => "revoked",
    };

    /// <summary>ISO-8601 UTC with milliseconds and a <c>Z</c>.</summary>
    public static string TimeText(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void WriteTime(Utf8JsonWriter json, string name, DateTimeOffset? time)
    {
        if (time is { } t)
        {
            json.WriteString(name, TimeText(t));
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void WriteString(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }
}

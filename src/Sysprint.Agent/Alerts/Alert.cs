using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sysprint.Diagnostics;
using Sysprint.Storage;

namespace Sysprint.Agent.Alerts;

/// <summary>
/// One alert in Falco's shape (<c>FORMATS.md</c> §5): <c>time</c>, <c>rule</c>, <c>priority</c>,
/// <c>source</c>, <c>hostname</c>, <c>output</c>, <c>tags</c>, <c>output_fields</c>, plus Falco's
/// <c>uuid</c>, which carries the deterministic <see cref="Id"/>. Every string is escaped with
/// <see cref="Printable.Escape"/> when built, so no control character from a log reaches a sink.
/// </summary>
public sealed class Alert
{
    private static readonly JsonWriterOptions s_compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public Alert(string id, DateTimeOffset time, string rule, AlertPriority priority, string source, string hostname,
        string output, IReadOnlyList<string> tags, IReadOnlyList<KeyValuePair<string, object?>> outputFields)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(hostname);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(outputFields);
        Id = id;
        Time = time.ToUniversalTime();
        Rule = Printable.Escape(rule);
        Priority = priority;
        Source = source;
        Hostname = Printable.Escape(hostname);
        Output = Printable.Escape(output);
        Tags = [.. tags.Select(Printable.Escape)];
        OutputFields = [.. outputFields.Select(f => new KeyValuePair<string, object?>(f.Key, f.Value is string s ? Printable.Escape(s) : f.Value))];
    }

    /// <summary>A UUID derived from what the alert is about: raising it again yields the same id.</summary>
    public string Id { get; }

    public DateTimeOffset Time { get; }

    public string Rule { get; }

    public AlertPriority Priority { get; }

    /// <summary><c>syscall</c> for findings, <c>internal</c> for sysprint's own troubles (Falco's convention).</summary>
    public string Source { get; }

    public string Hostname { get; }

    /// <summary>The whole human message.</summary>
    public string Output { get; }

    public IReadOnlyList<string> Tags { get; }

    /// <summary>Dotted keys, in order; values are strings, numbers or null.</summary>
    public IReadOnlyList<KeyValuePair<string, object?>> OutputFields { get; }

    /// <summary>The value of an output field, or null.</summary>
    public object? Field(string key)
    {
        foreach (var (k, v) in OutputFields)
        {
            if (k == key)
            {
                return v;
            }
        }

        return null;
    }

    /// <summary>Falco's time format: ISO-8601 UTC with a <c>Z</c> and sub-second digits.</summary>
    public string TimeText => Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The human line: <c>TIME: Priority OUTPUT</c>.</summary>
    public string ToText() => $"{TimeText}: {Priority} {Output}";

    /// <summary>The alert as one line of JSON.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, s_compact))
        {
            json.WriteStartObject();
            json.WriteString("uuid", Id);
            json.WriteString("time", TimeText);
            json.WriteString("rule", Rule);
            json.WriteString("priority", Priority.ToString());
            json.WriteString("source", Source);
            json.WriteString("hostname", Hostname);
            json.WriteString("output", Output);
            json.WriteStartArray("tags");
            foreach (string tag in Tags)
            {
                json.WriteStringValue(tag);
            }

            json.WriteEndArray();
            json.WriteStartObject("output_fields");
            foreach (var (key, value) in OutputFields)
            {
                switch (value)
                {
                    case null:
                        json.WriteNull(key);
                        break;
                    case string s:
                        json.WriteString(key, s);
                        break;
                    case long l:
                        json.WriteNumber(key, l);
                        break;
                    case int i:
                        json.WriteNumber(key, i);
                        break;
                    case double d:
                        json.WriteNumber(key, d);
                        break;
                    default:
                        json.WriteString(key, Printable.Escape(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""));
                        break;
                }
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The alert as the outbox keeps it; with <paramref name="historySource"/>, also as its entry in the store's alert history.</summary>
    public OutboxAlert ToOutbox(string? historySource = null) => new(
        Id, Time, Rule, Priority.ToString(), Source, Field(AlertFields.VmName) as string, Field(AlertFields.LogName) as string, ToJson(), ToText(),
        historySource is null ? null : ToHistory(historySource));

    /// <summary>
    /// The alert as the store's alert history keeps it: a mismatch is one mismatch whose
    /// <c>details</c> hold its line, pid, calls and count (as <c>check --json</c>); sysprint's own
    /// trouble (<c>source: internal</c>) keeps its rule and no mismatch.
    /// </summary>
    /// <param name="source">What raised it (<see cref="AlertSources"/>).</param>
    public AlertEntry ToHistory(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        bool finding = Source == "syscall";
        string details = "[]";
        if (finding)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer, s_compact))
            {
                json.WriteStartArray();
                json.WriteStartObject();
                WriteField(json, "line", Field(AlertFields.LogLine));
                WriteField(json, "pid", Field(AlertFields.ProcPid));
                WriteField(json, "prev", Field(AlertFields.Prev));
                WriteField(json, "next", Field(AlertFields.Next));
                WriteField(json, "count", Field(AlertFields.Count));
                WriteField(json, "window", Field(AlertFields.Window));
                if (Field(AlertFields.Reason) is string reason)
                {
                    json.WriteString("reason", reason);
                }

                json.WriteEndObject();
                json.WriteEndArray();
            }

            details = Encoding.UTF8.GetString(buffer.ToArray());
        }

        return new AlertEntry(0, Id, Time, source, Hostname, Field(AlertFields.VmName) as string, Field(AlertFields.LogName) as string,
            Field(AlertFields.Profile) as string, Field(AlertFields.Detector) as string, finding ? null : Rule, finding ? 1 : 0, Output, details);
    }

    private static void WriteField(Utf8JsonWriter json, string name, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNull(name);
                break;
            case string s:
                json.WriteString(name, s);
                break;
            case long l:
                json.WriteNumber(name, l);
                break;
            case int i:
                json.WriteNumber(name, i);
                break;
            default:
                json.WriteString(name, Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}

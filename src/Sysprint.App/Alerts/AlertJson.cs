using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sysprint.Fleet;
using Sysprint.Storage;

namespace Sysprint.App.Alerts;

/// <summary>
/// An alert of the history as one JSON object, the shape <c>sysprint alerts --json</c> prints:
/// <c>id</c> (a UUID; for the agent's alerts the <c>uuid</c> its sinks received), <c>seq</c>,
/// <c>time</c>, <c>source</c> (check|run|attach|watch), <c>host</c>, <c>vm</c>, <c>log</c>,
/// <c>profile</c>, <c>detector</c>, <c>rule</c>, <c>mismatches</c>, <c>summary</c>, <c>binary_path</c> and
/// <c>binary_sha256</c> (the executable <c>run</c> or <c>attach</c> traced, on a PostgreSQL store; else null), <c>details</c>
/// (on a store that knows the fleet, each detail ends with its <c>fleet</c> view).
/// </summary>
public static class AlertJson
{
    private static readonly JsonWriterOptions s_options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The alert as one line of JSON.</summary>
    /// <param name="seen">The fleet view of each mismatch (a store that knows the fleet, <see cref="IFleetView"/>): each detail gains <c>"fleet"</c>.</param>
    public static string ToJson(AlertEntry alert, FleetSeen?[]? seen = null)
    {
        ArgumentNullException.ThrowIfNull(alert);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, s_options))
        {
            Write(json, alert, seen);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Writes the alert's object.</summary>
    /// <param name="seen">As in <see cref="ToJson"/>.</param>
    public static void Write(Utf8JsonWriter json, AlertEntry alert, FleetSeen?[]? seen = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(alert);
        json.WriteStartObject();
        json.WriteString("id", alert.Id);
        json.WriteNumber("seq", alert.Seq);
        json.WriteString("time", alert.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        json.WriteString("source", alert.Source);
        WriteNullable(json, "host", alert.Host);
        WriteNullable(json, "vm", alert.Vm);
        WriteNullable(json, "log", alert.Log);
        WriteNullable(json, "profile", alert.Profile);
        WriteNullable(json, "detector", alert.Detector);
        WriteNullable(json, "rule", alert.Rule);
        json.WriteNumber("mismatches", alert.Mismatches);
        json.WriteString("summary", alert.Summary);
        WriteNullable(json, "binary_path", alert.BinaryPath);
        WriteNullable(json, "binary_sha256", alert.BinarySha256);
        json.WritePropertyName("details");
        if (seen is null)
        {
            json.WriteRawValue(alert.DetailsJson);
        }
        else
        {
            WriteDetails(json, alert.DetailsJson, seen);
        }

        json.WriteEndObject();
    }

    /// <summary>
    /// The details with each mismatch's fleet view last: <c>"fleet": {"hosts": N, "of": M, "days": 7}</c>
    /// (null when the mismatch names no transition).
    /// </summary>
    private static void WriteDetails(Utf8JsonWriter json, string detailsJson, FleetSeen?[] seen)
    {
        using JsonDocument details = JsonDocument.Parse(detailsJson);
        if (details.RootElement.ValueKind != JsonValueKind.Array)
        {
            details.RootElement.WriteTo(json);
            return;
        }

        json.WriteStartArray();
        int i = 0;
        foreach (JsonElement mismatch in details.RootElement.EnumerateArray())
        {
            if (mismatch.ValueKind != JsonValueKind.Object)
            {
                mismatch.WriteTo(json);
                i++;
                continue;
            }

            json.WriteStartObject();
            foreach (JsonProperty property in mismatch.EnumerateObject())
            {
                property.WriteTo(json);
            }

            json.WritePropertyName("fleet");
            if (i < seen.Length && seen[i] is { } s)
            {
                json.WriteStartObject();
                json.WriteNumber("hosts", s.Hosts);
                json.WriteNumber("of", s.Of);
                json.WriteNumber("days", FleetSeen.PeriodDays);
                json.WriteEndObject();
            }
            else
            {
                json.WriteNullValue();
            }

            json.WriteEndObject();
            i++;
        }

        json.WriteEndArray();
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
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

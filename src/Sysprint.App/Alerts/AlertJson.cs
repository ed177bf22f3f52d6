using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sysprint.Storage;

namespace Sysprint.App.Alerts;

/// <summary>
/// An alert of the history as one JSON object, the shape <c>sysprint alerts --json</c> prints:
/// <c>id</c> (a UUID; for the agent's alerts the <c>uuid</c> its sinks received), <c>seq</c>,
/// <c>time</c>, <c>source</c> (check|run|attach|watch), <c>host</c>, <c>vm</c>, <c>log</c>,
/// <c>profile</c>, <c>detector</c>, <c>rule</c>, <c>mismatches</c>, <c>summary</c>, <c>details</c>.
/// </summary>
public static class AlertJson
{
    private static readonly JsonWriterOptions s_options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The alert as one line of JSON.</summary>
    public static string ToJson(AlertEntry alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, s_options))
        {
            Write(json, alert);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Writes the alert's object.</summary>
    public static void Write(Utf8JsonWriter json, AlertEntry alert)
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
        json.WritePropertyName("details");
        json.WriteRawValue(alert.DetailsJson);
        json.WriteEndObject();
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

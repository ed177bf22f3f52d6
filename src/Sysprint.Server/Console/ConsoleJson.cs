using System.Text.Json;
using Sysprint.Fleet;

namespace Sysprint.Server.Console;

/// <summary>The console's JSON: an alert as <see cref="FleetJson.WriteAlert"/> writes it plus its status, detector and program; counts; audit entries.</summary>
internal static class ConsoleJson
{
    /// <summary>
    /// <see cref="FleetJson.WriteAlert"/>'s members plus <c>"fleet"</c> (when given), <c>"detector", "program", "status", "status_note",
    /// "status_by", "status_at"</c>.
    /// </summary>
    /// <param name="seen">The fleet view of each of its mismatches (<c>"fleet"</c>: one entry per mismatch, null when it names no transition); omitted when null.</param>
    public static void WriteAlert(Utf8JsonWriter json, ConsoleAlert alert, FleetSeen?[]? seen = null) => FleetJson.WriteAlert(json, alert.Alert, more =>
    {
        if (seen is not null)
        {
            more.WriteStartArray("fleet");
            foreach (FleetSeen? mismatch in seen)
            {
                WriteSeen(more, mismatch);
            }

            more.WriteEndArray();
        }

        WriteString(more, "detector", alert.Detector);
        WriteString(more, "program", alert.Program);
        more.WriteString("status", AlertStatusNames.Name(alert.Status));
        WriteString(more, "status_note", alert.StatusNote);
        WriteString(more, "status_by", alert.StatusBy);
        WriteString(more, "status_at", alert.StatusAt is { } at ? FleetJson.TimeText(at) : null);
    });

    /// <summary><c>{"hosts": N, "of": M, "days": 7}</c>, or null.</summary>
    public static void WriteSeen(Utf8JsonWriter json, FleetSeen? seen)
    {
        if (seen is { } s)
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
    }

    /// <summary><c>NAME: [{"key", "count"}, ...]</c>.</summary>
    public static void WriteCounts(Utf8JsonWriter json, string name, IReadOnlyList<AlertCount> counts)
    {
        json.WriteStartArray(name);
        foreach (AlertCount count in counts)
        {
            json.WriteStartObject();
            json.WriteString("key", count.Key);
            json.WriteNumber("count", count.Count);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary><c>{"id", "time", "actor", "action", "profile", "alert_seq", "detail"}</c>.</summary>
    public static void WriteChange(Utf8JsonWriter json, ConsoleChange change)
    {
        json.WriteStartObject();
        json.WriteNumber("id", change.Id);
        json.WriteString("time", FleetJson.TimeText(change.Time));
        json.WriteString("actor", change.Actor);
        json.WriteString("action", change.Action);
        WriteString(json, "profile", change.Profile);
        if (change.AlertSeq is { } seq)
        {
            json.WriteNumber("alert_seq", seq);
        }
        else
        {
            json.WriteNull("alert_seq");
        }

        json.WriteString("detail", change.Detail);
        json.WriteEndObject();
    }

    public static void WriteString(Utf8JsonWriter json, string name, string? value)
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

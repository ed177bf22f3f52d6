using System.Globalization;
using System.Text.Json;
using Sysprint.Fleet;

namespace Sysprint.Server;

/// <summary>
/// Takes apart an agent's alert batch, <c>{"alerts": [ALERT, ...]}</c>, each ALERT in Falco's shape
/// as the agent renders it (<c>uuid</c>, <c>time</c>, <c>rule</c>, <c>priority</c>, <c>source</c>,
/// <c>hostname</c>, <c>output</c>, <c>output_fields</c>). An alert naming another host than the
/// credential's is refused whole (403): a host writes only its own data.
/// </summary>
internal static class AlertParser
{
    public static List<AlertUpload> Parse(JsonElement root, string hostName, int maxAlerts)
    {
        JsonFields.RequireObject(root, "$");
        if (!root.TryGetProperty("alerts", out JsonElement alerts) || alerts.ValueKind != JsonValueKind.Array)
        {
            throw new BadRequestException($"$.alerts: expected an array, found {(root.TryGetProperty("alerts", out JsonElement a) ? JsonFields.Kind(a) : "nothing")}");
        }

        int count = alerts.GetArrayLength();
        if (count > maxAlerts)
        {
            throw new BadRequestException(string.Create(CultureInfo.InvariantCulture, $"$.alerts: {count} alerts in one batch; at most {maxAlerts}"), 413);
        }

        var uploads = new List<AlertUpload>(count);
        int i = 0;
        foreach (JsonElement alert in alerts.EnumerateArray())
        {
            string path = string.Create(CultureInfo.InvariantCulture, $"$.alerts[{i++}]");
            uploads.Add(ParseOne(alert, path, hostName));
        }

        return uploads;
    }

    private static AlertUpload ParseOne(JsonElement alert, string path, string hostName)
    {
        JsonFields.RequireObject(alert, path);
        string uuidText = JsonFields.String(alert, "uuid", path, 64);
        if (!Guid.TryParseExact(uuidText, "D", out Guid uuid))
        {
            throw new BadRequestException($"{path}.uuid: expected a UUID (8-4-4-4-12 hex digits), found '{Diagnostics.Printable.Escape(uuidText)}'");
        }

        string timeText = JsonFields.String(alert, "time", path, 64);
        if (!DateTimeOffset.TryParse(timeText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset time))
        {
            throw new BadRequestException($"{path}.time: expected an ISO-8601 time, found '{Diagnostics.Printable.Escape(timeText)}'");
        }

        string host = JsonFields.String(alert, "hostname", path, HostNames.MaxLength);
        if (!string.Equals(host, hostName, StringComparison.Ordinal))
        {
            throw new BadRequestException(
                $"{path}.hostname: '{Diagnostics.Printable.Escape(host)}' is not this credential's host '{hostName}': a host sends only its own alerts", 403);
        }

        string? vm = null;
        string? log = null;
        string? profile = null;
        if (alert.TryGetProperty("output_fields", out JsonElement fields) && fields.ValueKind != JsonValueKind.Null)
        {
            JsonFields.RequireObject(fields, path + ".output_fields");
            vm = JsonFields.OptionalString(fields, "vm.name", path + ".output_fields");
            log = JsonFields.OptionalString(fields, "log.name", path + ".output_fields");
            profile = JsonFields.OptionalString(fields, "profile", path + ".output_fields");
        }

        return new AlertUpload(uuid, time, JsonFields.String(alert, "rule", path, 1024), JsonFields.String(alert, "priority", path, 32),
            JsonFields.String(alert, "source", path, 64), vm, log, profile, JsonFields.String(alert, "output", path), alert.GetRawText());
    }
}

using System.Globalization;
using System.Text.Json;
using Sysprint.Fleet;

namespace Sysprint.Server.Console;

/// <summary>
/// What made an alert, read from the fields the agent put in it (<c>output_fields</c>): a
/// previous → next transition the fingerprint lacks (<c>transition</c>), a longer unseen window
/// (<c>window</c>), a call added to or missing from the nearest normal run (<c>calls_added</c>,
/// <c>calls_missing</c>), or sysprint's own trouble (<c>internal</c>).
/// </summary>
internal sealed record AlertExplanation(
    string Kind, string? Prev, string? Next, string? Window, string? Reason, long? Line, long? Pid, long? Count, string? Program, string? BinarySha256)
{
    /// <summary>The reasons the callset detector gives (<c>Sysprint.Engine.CallSetReasons</c>).</summary>
    private static readonly string s_added = Engine.CallSetReasons.Added;
    private static readonly string s_missing = Engine.CallSetReasons.Missing;

    public static AlertExplanation Of(ConsoleAlert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        using JsonDocument document = JsonDocument.Parse(alert.Alert.Json);
        JsonElement fields = document.RootElement.TryGetProperty("output_fields", out JsonElement f) && f.ValueKind == JsonValueKind.Object ? f : default;
        string? prev = Text(fields, "mismatch.prev");
        string? next = Text(fields, "mismatch.next");
        string? window = Text(fields, "mismatch.window");
        string? reason = Text(fields, "reason");
        string kind = alert.Alert.Source == "internal" ? "internal"
            : reason == s_added ? "calls_added"
            : reason == s_missing ? "calls_missing"
            : window is not null && window.Split(' ').Length > 2 ? "window"
            : "transition";
        return new AlertExplanation(kind, prev, next, window, reason, Number(fields, "log.line"), Number(fields, "proc.pid"), Number(fields, "mismatch.count"),
            Text(fields, "program"), Text(fields, "binary.sha256") ?? Text(fields, "proc.exe.sha256"));
    }

    /// <summary><c>{"kind", "prev", "next", "window", "reason", "line", "pid", "count", "program", "binary_sha256"}</c>.</summary>
    public void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("kind", Kind);
        ConsoleJson.WriteString(json, "prev", Prev);
        ConsoleJson.WriteString(json, "next", Next);
        ConsoleJson.WriteString(json, "window", Window);
        ConsoleJson.WriteString(json, "reason", Reason);
        WriteNumber(json, "line", Line);
        WriteNumber(json, "pid", Pid);
        WriteNumber(json, "count", Count);
        ConsoleJson.WriteString(json, "program", Program);
        ConsoleJson.WriteString(json, "binary_sha256", BinarySha256);
        json.WriteEndObject();
    }

    private static void WriteNumber(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } n)
        {
            json.WriteNumber(name, n);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static string? Text(JsonElement fields, string name) =>
        fields.ValueKind == JsonValueKind.Object && fields.TryGetProperty(name, out JsonElement v)
            ? v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Number => v.GetRawText(),
                _ => null,
            }
            : null;

    private static long? Number(JsonElement fields, string name) =>
        Text(fields, name) is { } text && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) ? n : null;
}

using System.Text.Json.Serialization;

namespace Sysprint.Agent.Sinks;

/// <summary>
/// The alert sinks, as flags give them or the <c>sinks</c> object of the agent's config file:
/// <c>{"jsonl": ["/var/log/sysprint/alerts.jsonl"], "syslog": ["unix:/dev/log"], "syslog_facility": "authpriv",
/// "webhook": ["http://siem:8080/falco"], "program": ["logger -t sysprint"]}</c>.
/// </summary>
public sealed record SinkSettings
{
    [JsonPropertyName("jsonl")]
    public IReadOnlyList<string> Jsonl { get; set; } = [];

    [JsonPropertyName("syslog")]
    public IReadOnlyList<string> Syslog { get; set; } = [];

    [JsonPropertyName("syslog_facility")]
    public string? SyslogFacility { get; set; }

    [JsonPropertyName("webhook")]
    public IReadOnlyList<string> Webhook { get; set; } = [];

    [JsonPropertyName("program")]
    public IReadOnlyList<string> Program { get; set; } = [];

    /// <summary>One sink per entry, duplicates (same name) dropped.</summary>
    /// <exception cref="Diagnostics.SysprintException">An address does not parse (exit 64).</exception>
    public List<IAlertSink> CreateSinks()
    {
        var sinks = new List<IAlertSink>();
        foreach (string path in Jsonl)
        {
            sinks.Add(new JsonLinesSink(path));
        }

        foreach (string spec in Syslog)
        {
            sinks.Add(SyslogSink.Parse(spec, SyslogFacility ?? "user"));
        }

        foreach (string url in Webhook)
        {
            sinks.Add(new WebhookSink(url));
        }

        foreach (string command in Program)
        {
            sinks.Add(new ProgramSink(command));
        }

        return [.. sinks.DistinctBy(s => s.Name, StringComparer.Ordinal)];
    }
}

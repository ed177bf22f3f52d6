using System.Text;
using System.Text.Json;
using Sysprint.Agent.Alerts;
using Sysprint.Agent.Outbox;
using Sysprint.Agent.Sinks;
using Sysprint.Agent.Tests.Support;
using Sysprint.Diagnostics;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Storage.Sqlite;

namespace Sysprint.Agent.Tests.Sinks;

/// <summary>
/// Text from logs (VM names, paths, program and profile names, error reasons) shaped to forge or
/// break what a sink's consumer reads: line breaks followed by a syslog header, terminal escapes,
/// quotes and brackets that close structured data or JSON, shell syntax, NUL, C1 and Unicode line
/// and direction controls, very long values. Each reaches real receivers on loopback (UDP and TCP
/// syslog, an HTTP server, a file, a program) and must arrive as exactly one well-formed message
/// per alert, holding the text escaped, never interpreted.
/// </summary>
[Trait("Speed", "slow")]
public sealed class OutputSafetyTests : IDisposable
{
    private static readonly SyscallTable s_table = SyscallTable.Builtin("x86_64");
    private static readonly OutboxOptions s_fast = new() { InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(200) };

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Strings a compromised VM could put in a file or folder name, or a log line.</summary>
    private string[] Hostile() =>
    [
        "web-01\n<13>1 2026-11-26T00:00:00Z dom0 sysprint 1 anomaly - forged alert",
        "x\r\n<10>Nov 26 00:00:00 dom0 sshd[1]: Accepted password for root",
        "\u001b[2J\u001b]0;pwned\u0007\u001b[31mred\u001b[0m",
        "\"] [sysprint@32473 uuid=\"00000000-0000-8000-8000-000000000000\" rule=\"forged\"] forged",
        "back\\slash\\\" and \\] end\\",
        "nul\0c0\u0001\u001f del\u007f",
        "c1\u0085\u009b31m line\u2028para\u2029",
        "bidi \u202Egnp.exe\u202C \u2066x\u2069 \u200F",
        "\"}, \"rule\": \"forged\", \"output_fields\": {\"x\": \"",
        $"$(touch {_dir.PathOf("pwned1")})`touch {_dir.PathOf("pwned2")}`; touch {_dir.PathOf("pwned3")} #'\"",
        "lone \uD800 surrogates \uDC00",
        "é 漢字 😀 \uFFFD",
        new string('"', 3000) + new string(']', 3000) + string.Concat(Enumerable.Repeat("A\n", 20_000)),
    ];

    /// <summary>Two alerts per hostile string: a mismatch with it everywhere a log's text goes, and an internal alert with it in the reason.</summary>
    private List<Alert> HostileAlerts()
    {
        var factory = new AlertFactory("dom0");
        var alerts = new List<Alert>();
        int line = 1;
        foreach (string text in Hostile())
        {
            alerts.Add(factory.Mismatch(new AlertSubject(text, "/spool/" + text, "key", text, text, "paper"), new Mismatch([0, 41], line++, 100), s_table, DateTimeOffset.UtcNow));
            alerts.Add(factory.Internal(AlertFactory.UnreadableRule, AlertPriority.Error, text, "/spool/" + text, "key", "what" + line++, "cannot read " + text, DateTimeOffset.UtcNow));
        }

        return alerts;
    }

    /// <summary>What no consumer must receive raw: C0, DEL, C1, Unicode line and paragraph separators, direction controls, lone surrogates.</summary>
    private static bool Unsafe(string text, int i)
    {
        char c = text[i];
        if (char.IsHighSurrogate(c))
        {
            return i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]);
        }

        if (char.IsLowSurrogate(c))
        {
            return i == 0 || !char.IsHighSurrogate(text[i - 1]);
        }

        return char.IsControl(c) || c is '\u2028' or '\u2029' or '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
    }

    private static void AssertSafe(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            Assert.False(Unsafe(text, i), $"U+{(int)text[i]:X4} at {i} of {text[..Math.Min(text.Length, 120)]}");
        }
    }

    private async Task<List<Alert>> DeliverAsync(IAlertSink sink)
    {
        List<Alert> alerts = HostileAlerts();
        await using var outbox = new AlertOutbox(SqliteFingerprintStore.Open(_dir.PathOf("outbox.db"), createIfMissing: true), [sink], null, s_fast);
        outbox.Start();
        foreach (Alert alert in alerts)
        {
            Assert.True(outbox.Raise(alert));
        }

        Assert.Equal(0, await outbox.FlushAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken));
        return alerts;
    }

    /// <summary>The structured data and message of a syslog message are those of the alert, whole or cut short, never more.</summary>
    private static void AssertSyslogMessage(string raw, Alert alert)
    {
        AssertSafe(raw);
        Assert.InRange(Encoding.UTF8.GetByteCount(raw), 1, SyslogSink.MaxMessageBytes);
        Rfc5424 message = Rfc5424.Parse(raw);
        var (id, parameters) = Assert.Single(message.Data);
        Assert.Equal("sysprint@32473", id);
        Assert.Equal(alert.Id, parameters["uuid"]);
        Assert.Equal("dom0", message.Hostname);
        Assert.Equal("sysprint", message.AppName);
        foreach (var (key, value) in alert.OutputFields)
        {
            if (value is string text && parameters.TryGetValue(key.Replace('.', '_'), out string? sent))
            {
                Assert.True(sent == text || (sent.EndsWith("...", StringComparison.Ordinal) && text.StartsWith(sent[..^3], StringComparison.Ordinal)), $"{key}: {sent[..Math.Min(sent.Length, 100)]}");
            }
        }

        Assert.True(message.Message == alert.Output
            || (message.Message.EndsWith("...", StringComparison.Ordinal) && alert.Output.StartsWith(message.Message[..^3], StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Udp_syslog_gets_one_well_formed_rfc5424_datagram_per_alert()
    {
        using var receiver = new SyslogReceiver();

        List<Alert> alerts = await DeliverAsync(SyslogSink.Parse(receiver.Spec));
        Eventually.True(() => receiver.Messages.Count == alerts.Count, $"{alerts.Count} datagrams");

        string[] messages = [.. receiver.Messages];
        Assert.Equal(alerts.Count, messages.Length);
        for (int i = 0; i < alerts.Count; i++)
        {
            AssertSyslogMessage(messages[i], alerts[i]);
        }
    }

    [Fact]
    public async Task Tcp_syslog_stream_is_exactly_one_octet_counted_frame_per_alert_without_a_line_break()
    {
        using var receiver = new TcpSyslogReceiver();

        List<Alert> alerts = await DeliverAsync(SyslogSink.Parse(receiver.Spec));
        int expected = 0;
        Eventually.True(() =>
        {
            byte[] bytes = receiver.Bytes;
            expected = bytes.Length;
            return Frames(bytes).Count == alerts.Count;
        }, $"{alerts.Count} frames");

        byte[] stream = receiver.Bytes;
        Assert.Equal(expected, stream.Length);
        Assert.DoesNotContain((byte)'\n', stream);
        Assert.DoesNotContain((byte)'\r', stream);
        List<string> frames = Frames(stream);
        Assert.Equal(alerts.Count, frames.Count);
        for (int i = 0; i < alerts.Count; i++)
        {
            AssertSyslogMessage(frames[i], alerts[i]);
        }
    }

    /// <summary>RFC 6587 octet counting: <c>LENGTH SP MESSAGE</c>, repeated; a stream that does not split exactly fails.</summary>
    private static List<string> Frames(byte[] stream)
    {
        var frames = new List<string>();
        int at = 0;
        while (at < stream.Length)
        {
            int space = Array.IndexOf(stream, (byte)' ', at);
            if (space < 0)
            {
                return frames;
            }

            int length = int.Parse(Encoding.ASCII.GetString(stream, at, space - at), System.Globalization.CultureInfo.InvariantCulture);
            if (space + 1 + length > stream.Length)
            {
                return frames;
            }

            frames.Add(Encoding.UTF8.GetString(stream, space + 1, length));
            at = space + 1 + length;
        }

        return frames;
    }

    [Fact]
    public async Task Webhook_gets_one_valid_json_alert_per_post_with_the_text_escaped()
    {
        using var receiver = new WebhookReceiver();

        List<Alert> alerts = await DeliverAsync(new WebhookSink(receiver.Url));

        var bodies = receiver.Received.Select(r => r.Body).ToList();
        Assert.Equal(alerts.Count, bodies.Count);
        for (int i = 0; i < alerts.Count; i++)
        {
            AssertSafe(bodies[i]);
            using JsonDocument doc = JsonDocument.Parse(bodies[i]);
            AssertJsonIsTheAlert(doc.RootElement, alerts[i]);
        }
    }

    private static void AssertJsonIsTheAlert(JsonElement root, Alert alert)
    {
        Assert.Equal(alert.Id, root.GetProperty("uuid").GetString());
        Assert.Equal(alert.Rule, root.GetProperty("rule").GetString());
        Assert.Equal(alert.Output, root.GetProperty("output").GetString());
        Assert.Equal(["uuid", "time", "rule", "priority", "source", "hostname", "output", "tags", "output_fields"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(alert.OutputFields.Select(f => f.Key), root.GetProperty("output_fields").EnumerateObject().Select(p => p.Name));
        AssertSafe(root.GetProperty("output").GetString()!);
        Assert.Equal(alert.Field(AlertFields.LogName), root.GetProperty("output_fields").GetProperty(AlertFields.LogName).GetString());
    }

    [Fact]
    public async Task Jsonl_file_gets_one_valid_json_line_per_alert()
    {
        string file = _dir.PathOf("alerts.jsonl");

        List<Alert> alerts = await DeliverAsync(new JsonLinesSink(file));

        string[] lines = await File.ReadAllLinesAsync(file, TestContext.Current.CancellationToken);
        Assert.Equal(alerts.Count, lines.Length);
        for (int i = 0; i < alerts.Count; i++)
        {
            AssertSafe(lines[i]);
            using JsonDocument doc = JsonDocument.Parse(lines[i]);
            AssertJsonIsTheAlert(doc.RootElement, alerts[i]);
        }
    }

    [Fact]
    public async Task Program_gets_the_alerts_as_json_lines_on_stdin_and_nothing_in_its_environment_or_command_line()
    {
        string output = _dir.PathOf("program.out");
        string environment = _dir.PathOf("program.env");

        List<Alert> alerts = await DeliverAsync(new ProgramSink($"env > '{environment}'; cat >> '{output}'"));

        string[] lines = await File.ReadAllLinesAsync(output, TestContext.Current.CancellationToken);
        Assert.Equal(alerts.Count, lines.Length);
        for (int i = 0; i < alerts.Count; i++)
        {
            using JsonDocument doc = JsonDocument.Parse(lines[i]);
            AssertJsonIsTheAlert(doc.RootElement, alerts[i]);
        }

        Assert.False(File.Exists(_dir.PathOf("pwned1")));
        Assert.False(File.Exists(_dir.PathOf("pwned2")));
        Assert.False(File.Exists(_dir.PathOf("pwned3")));
        string env = await File.ReadAllTextAsync(environment, TestContext.Current.CancellationToken);
        Assert.DoesNotContain("forged", env, StringComparison.Ordinal);
        Assert.DoesNotContain("pwned", env, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_lines_for_the_terminal_and_journald_hold_no_control_or_direction_character()
    {
        foreach (Alert alert in HostileAlerts())
        {
            AssertSafe(alert.ToText());
            Assert.DoesNotContain('\n', alert.ToText());
        }
    }

    [Fact]
    public void A_vm_folder_and_log_named_to_forge_output_reach_every_sink_stdout_and_the_agent_log_escaped()
    {
        string db = Support.Cli.TrainedStore(_dir);
        string spool = _dir.PathOf("spool");
        string vm = "vm\n<13>1 2026-11-26T00:00:00Z dom0 sysprint 1 anomaly - forged\u001b[2J";
        string log = Path.Combine(spool, vm, "x\u001b]0;pwned\u0007\r\n2026-11-26T00:00:00.000Z info: forged \"] \u202Egnp.strace");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        File.WriteAllText(log, Logs.Injection(300));
        string jsonl = _dir.PathOf("alerts.jsonl");
        using var syslog = new TcpSyslogReceiver();
        using var webhook = new WebhookReceiver();
        using SysprintProcess agent = SysprintProcess.Start(["watch", "--db", db, "--syslog", syslog.Spec, "--webhook", webhook.Url, "--alerts-jsonl", jsonl, spool]);

        Eventually.True(() => webhook.Received.Count == 2 && Frames(syslog.Bytes).Count == 2 && File.Exists(jsonl) && File.ReadAllLines(jsonl).Length == 2,
            "two alerts at every sink");
        agent.Signal(15);

        Assert.Equal(0, agent.WaitForExit());
        foreach (string body in webhook.Received.Select(r => r.Body).Concat(File.ReadAllLines(jsonl)))
        {
            AssertSafe(body);
            using JsonDocument doc = JsonDocument.Parse(body);
            JsonElement fields = doc.RootElement.GetProperty("output_fields");
            Assert.Equal(Printable.Escape(log), fields.GetProperty(AlertFields.LogName).GetString());
            Assert.Equal(Printable.Escape(vm), fields.GetProperty(AlertFields.VmName).GetString());
        }

        foreach (string frame in Frames(syslog.Bytes))
        {
            AssertSafe(frame);
            Rfc5424 message = Rfc5424.Parse(frame);
            Assert.Equal(Printable.Escape(log), Assert.Single(message.Data).Params["log_name"]);
        }

        string[] alertLines = agent.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, alertLines.Length);
        Assert.All(alertLines, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z: Critical Unknown system-call transition ", l));
        Assert.All(alertLines, l => AssertSafe(l));
        string[] logLines = agent.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(logLines);
        Assert.All(logLines, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trce|dbug|info|warn|fail|crit): ", l));
        Assert.All(logLines, l => AssertSafe(l));
        Assert.Contains(Printable.Escape(log), agent.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a\u001bb", "a\\x1Bb")]
    [InlineData("a\nb\r", "a\\x0Ab\\x0D")]
    [InlineData("\u0085\u009b", "\\x85\\x9B")]
    [InlineData("x\u2028y\u2029", "x\\u2028y\\u2029")]
    [InlineData("\u202Egnp.exe", "\\u202Egnp.exe")]
    [InlineData("\u2066\u2069\u200E\u200F\u061C", "\\u2066\\u2069\\u200E\\u200F\\u061C")]
    [InlineData("😀 é", "😀 é")]
    public void Printable_escape_names_each_unsafe_character_by_its_code(string text, string escaped)
    {
        Assert.Equal(escaped, Printable.Escape(text));
    }

    [Fact]
    public void Printable_escape_names_unpaired_surrogates_and_keeps_pairs()
    {
        // Not theory data: xunit's serialization of test cases would replace the lone surrogates.
        Assert.Equal("a\\uD800b", Printable.Escape("a\uD800b"));
        Assert.Equal("b\\uDC00", Printable.Escape("b\uDC00"));
        Assert.Equal("\\uD800\uD800\uDC00", Printable.Escape("\uD800\uD800\uDC00"));
    }
}

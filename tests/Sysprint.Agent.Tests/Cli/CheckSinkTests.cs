using System.Text.Json;
using Sysprint.Agent.Tests.Support;

namespace Sysprint.Agent.Tests.Cli;

/// <summary><c>check</c> with alert sinks: each distinct mismatch of an anomalous log reaches every sink once.</summary>
public sealed class CheckSinkTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Check_sends_each_mismatch_to_the_webhook_and_the_file_and_nothing_again_on_a_second_check()
    {
        string db = Support.Cli.TrainedStore(_dir);
        string log = _dir.Write("check/tampered.strace", Logs.Injection(200));
        string jsonl = _dir.PathOf("alerts.jsonl");
        using var receiver = new WebhookReceiver();

        var first = Support.Cli.Run("check", "--db", db, "--vm", "web-01", "--webhook", receiver.Url, "--alerts-jsonl", jsonl, log);
        var second = Support.Cli.Run("check", "--db", db, "--vm", "web-01", "--webhook", receiver.Url, "--alerts-jsonl", jsonl, log);

        Assert.Equal(1, first.Exit);
        Assert.Equal(1, second.Exit);
        Assert.Equal("", first.Error);
        Assert.StartsWith("ANOMALOUS  " + log, first.Out, StringComparison.Ordinal);
        List<JsonDocument> alerts = receiver.Alerts();
        Assert.Equal(["read socket", "socket close"], alerts.Select(a => a.RootElement.GetProperty("output_fields").GetProperty("mismatch.window").GetString()));
        Assert.All(alerts, a => Assert.Equal("web-01", a.RootElement.GetProperty("output_fields").GetProperty("vm.name").GetString()));
        Assert.Equal(receiver.Ids(), File.ReadAllLines(jsonl).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("uuid").GetString()!));
    }

    [Fact]
    public void Check_of_normal_logs_sends_nothing()
    {
        string db = Support.Cli.TrainedStore(_dir);
        string log = _dir.Write("check/normal.strace", Logs.Normal);
        using var receiver = new WebhookReceiver();

        var result = Support.Cli.Run("check", "--db", db, "--webhook", receiver.Url, log);

        Assert.Equal(0, result.Exit);
        Assert.Empty(receiver.Received);
    }

    [Fact]
    public void A_bad_sink_address_is_a_usage_error()
    {
        string db = Support.Cli.TrainedStore(_dir);
        string log = _dir.Write("check/normal.strace", Logs.Normal);

        var result = Support.Cli.Run("check", "--db", db, "--syslog", "udp:nowhere", log);

        Assert.Equal(64, result.Exit);
        Assert.Equal("sysprint: error: --syslog 'udp:nowhere': expected unix:PATH (e.g. unix:/dev/log), udp:HOST:PORT or tcp:HOST:PORT\n", result.Error);
    }
}

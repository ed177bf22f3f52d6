using System.Text.Json;
using Sysprint.Agent.Alerts;
using Sysprint.Mapping;
using Sysprint.Model;

namespace Sysprint.Agent.Tests.Alerts;

public sealed class AlertTests
{
    private static readonly SyscallTable s_table = SyscallTable.Builtin("x86_64");
    private static readonly DateTimeOffset s_time = new(2026, 11, 26, 1, 33, 14, 123, TimeSpan.Zero);

    private static Alert Sample(string log = "/spool/web-01/cat.strace", string? vm = "web-01") =>
        new AlertFactory("dom0").Mismatch(
            new AlertSubject(vm, log, "key-1", "cat", "default", "paper"),
            new Mismatch([11, 41], 39, 10248),
            s_table,
            s_time);

    [Fact]
    public void Json_has_the_falco_fields_and_the_mismatch_in_output_fields()
    {
        Alert alert = Sample();

        using JsonDocument doc = JsonDocument.Parse(alert.ToJson());

        JsonElement root = doc.RootElement;
        Assert.Equal("2026-11-26T01:33:14.1230000Z", root.GetProperty("time").GetString());
        Assert.Equal("Unknown system-call transition", root.GetProperty("rule").GetString());
        Assert.Equal("Critical", root.GetProperty("priority").GetString());
        Assert.Equal("syscall", root.GetProperty("source").GetString());
        Assert.Equal("dom0", root.GetProperty("hostname").GetString());
        Assert.Equal(alert.Id, root.GetProperty("uuid").GetString());
        Assert.Contains("sysprint", root.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        JsonElement fields = root.GetProperty("output_fields");
        Assert.Equal("/spool/web-01/cat.strace", fields.GetProperty("log.name").GetString());
        Assert.Equal(39, fields.GetProperty("log.line").GetInt64());
        Assert.Equal("web-01", fields.GetProperty("vm.name").GetString());
        Assert.Equal(10248, fields.GetProperty("proc.pid").GetInt64());
        Assert.Equal("cat", fields.GetProperty("program").GetString());
        Assert.Equal("munmap", fields.GetProperty("mismatch.prev").GetString());
        Assert.Equal("socket", fields.GetProperty("mismatch.next").GetString());
        Assert.Equal(1, fields.GetProperty("mismatch.count").GetInt64());
        Assert.Equal("default", fields.GetProperty("profile").GetString());
    }

    [Fact]
    public void A_traced_runs_alert_names_its_binary_its_sha256_and_its_source_and_a_logs_alert_names_none()
    {
        var subject = new AlertSubject(null, "run: cat", "key-1", "cat", "default", "paper")
        {
            BinaryPath = "/usr/bin/cat",
            BinarySha256 = "008f819498fe591f3cc920d543709347d8d14a139bb3482bc2cd8635c1b3162e",
            Source = "run",
        };

        using JsonDocument traced = JsonDocument.Parse(new AlertFactory("dom0").Mismatch(subject, new Mismatch([11, 41], 39, 10248), s_table, s_time).ToJson());
        using JsonDocument log = JsonDocument.Parse(Sample().ToJson());

        JsonElement fields = traced.RootElement.GetProperty("output_fields");
        Assert.Equal(("/usr/bin/cat", "008f819498fe591f3cc920d543709347d8d14a139bb3482bc2cd8635c1b3162e"),
            (fields.GetProperty("proc.exepath").GetString(), fields.GetProperty("proc.exe.sha256").GetString()));
        Assert.Equal("run", fields.GetProperty("sysprint.source").GetString());
        Assert.False(log.RootElement.GetProperty("output_fields").TryGetProperty("proc.exe.sha256", out _));
        Assert.False(log.RootElement.GetProperty("output_fields").TryGetProperty("sysprint.source", out _));
    }

    [Fact]
    public void Text_is_time_priority_and_output()
    {
        Alert alert = Sample();

        string text = alert.ToText();

        Assert.Equal(
            "2026-11-26T01:33:14.1230000Z: Critical Unknown system-call transition munmap -> socket in a well-known program " +
            "(vm=web-01 log=/spool/web-01/cat.strace line=39 pid=10248 program=cat profile=default)",
            text);
    }

    [Fact]
    public void Id_is_the_same_for_the_same_anomaly_and_differs_otherwise()
    {
        Alert a = Sample();
        Alert again = new AlertFactory("other-host").Mismatch(
            new AlertSubject("web-01", "/spool/web-01/cat.strace", "key-1", "cat", "default", "paper"),
            new Mismatch([11, 41], 39, 10248), s_table, s_time.AddHours(1));
        Alert otherVm = Sample(vm: "web-02");
        Alert otherLine = new AlertFactory("dom0").Mismatch(
            new AlertSubject("web-01", "/spool/web-01/cat.strace", "key-1", "cat", "default", "paper"),
            new Mismatch([11, 41], 40, 10248), s_table, s_time);

        Assert.Equal(a.Id, again.Id);
        Assert.NotEqual(a.Id, otherVm.Id);
        Assert.NotEqual(a.Id, otherLine.Id);
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", a.Id);
    }

    [Fact]
    public void Control_characters_from_a_log_name_never_reach_the_output()
    {
        Alert alert = Sample(log: "/spool/vm/evil\u001b[31m\nFAKE ALERT.strace");

        string text = alert.ToText();
        string json = alert.ToJson();

        Assert.DoesNotContain('\u001b', text);
        Assert.DoesNotContain('\n', text);
        Assert.Contains("evil\\x1B[31m\\x0AFAKE ALERT.strace", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', json);
        using JsonDocument doc = JsonDocument.Parse(json);
        Assert.Equal("/spool/vm/evil\\x1B[31m\\x0AFAKE ALERT.strace", doc.RootElement.GetProperty("output_fields").GetProperty("log.name").GetString());
    }

    [Fact]
    public void Thread_start_mismatch_has_no_previous_call()
    {
        Alert alert = new AlertFactory("dom0").Mismatch(
            new AlertSubject(null, "run: cat", "k", null, "default", "paper"), new Mismatch([41], 1, 7), s_table, s_time);

        using JsonDocument doc = JsonDocument.Parse(alert.ToJson());

        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("output_fields").GetProperty("mismatch.prev").ValueKind);
        Assert.Contains("(thread start) -> socket", alert.Output, StringComparison.Ordinal);
    }
}

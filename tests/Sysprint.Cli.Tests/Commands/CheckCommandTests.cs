using System.Text.Json;
using System.Text.RegularExpressions;
using Sysprint.Cli.Tests.Support;

namespace Sysprint.Cli.Tests.Commands;

/// <summary><c>sysprint check</c>: verdicts, the <c>--json</c> interface, alerts recorded in the store.</summary>
public sealed class CheckCommandTests : IDisposable
{
    /// <summary>The same run with a socket and a connect injected after the openat (41, 42).</summary>
    private const string Injected =
        """
        200   openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3
        200   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4
        200   connect(4, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("10.0.0.1")}, 16) = 0
        200   read(3, "vm\n", 131072) = 3
        200   close(3) = 0
        200   +++ exited with 0 +++

        """;

    private readonly CliSandbox _cli = new();
    private readonly string _db;
    private readonly string _normal;
    private readonly string _injected;

    public CheckCommandTests()
    {
        _db = _cli.Db();
        _normal = _cli.Write("normal.strace", Logs.Normal);
        _injected = _cli.Write("injected.strace", Injected);
        _cli.RunOk("train", "--db", _db, _normal);
    }

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Anomalous_log_lists_each_mismatch_with_line_pid_and_both_calls()
    {
        CliResult result = _cli.Run("check", "--db", _db, _injected);

        Assert.Equal(1, result.Exit);
        Assert.Equal(
            $"""
            ANOMALOUS  {_injected}  3 mismatches (3 distinct) in 5 syscalls, profile 'default'
                line 2  pid 200  openat(257) → socket(41)
                line 3  pid 200  socket(41) → connect(42)
                line 4  pid 200  connect(42) → read(0)

            """, result.Out);
        Assert.Equal("", result.Error);
    }

    [Fact]
    public void Repeated_mismatch_is_listed_once_with_its_count()
    {
        string twice = _cli.Write("twice.strace", Logs.Normal.Replace("100   +++", "100   close(4) = 0\n100   close(5) = 0\n100   +++", StringComparison.Ordinal));

        CliResult result = _cli.Run("check", "--db", _db, twice);

        Assert.Equal(1, result.Exit);
        Assert.Equal(
            $"""
            ANOMALOUS  {twice}  2 mismatches (1 distinct) in 5 syscalls, profile 'default'
                line 4  pid 100  close(3) → close(3)  ×2

            """, result.Out);
    }

    [Fact]
    public void Json_writes_one_object_per_log_per_line_on_stdout()
    {
        CliResult result = _cli.Run("check", "--db", _db, "--json", _normal, _injected);

        Assert.Equal(1, result.Exit);
        Assert.Equal("", result.Error);
        string[] lines = result.Out.Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Equal("", lines[2]);
        using JsonDocument normal = JsonDocument.Parse(lines[0]);
        using JsonDocument injected = JsonDocument.Parse(lines[1]);
        Assert.Equal(_normal, normal.RootElement.GetProperty("log").GetString());
        Assert.Equal("normal", normal.RootElement.GetProperty("verdict").GetString());
        Assert.Equal(3, normal.RootElement.GetProperty("syscalls").GetInt32());
        Assert.Equal(0, normal.RootElement.GetProperty("mismatches").GetInt32());
        Assert.Equal(0, normal.RootElement.GetProperty("details").GetArrayLength());
        Assert.Equal(_injected, injected.RootElement.GetProperty("log").GetString());
        Assert.Equal("anomalous", injected.RootElement.GetProperty("verdict").GetString());
        Assert.Equal(5, injected.RootElement.GetProperty("syscalls").GetInt32());
        Assert.Equal(3, injected.RootElement.GetProperty("mismatches").GetInt32());
    }

    [Fact]
    public void Json_details_give_line_pid_and_both_calls_by_name_and_number()
    {
        CliResult result = _cli.Run("check", "--db", _db, "--json", _injected);

        Assert.Equal(1, result.Exit);
        using JsonDocument json = JsonDocument.Parse(result.Out);
        var details = json.RootElement.GetProperty("details").EnumerateArray()
            .Select(d => (
                d.GetProperty("line").GetInt32(),
                d.GetProperty("pid").GetInt32(),
                d.GetProperty("prev").GetString(),
                d.GetProperty("next").GetString(),
                d.GetProperty("prev_nr").GetInt32(),
                d.GetProperty("next_nr").GetInt32()))
            .ToList();
        Assert.Equal(
            [
                (2, 200, "openat", "socket", 257, 41),
                (3, 200, "socket", "connect", 41, 42),
                (4, 200, "connect", "read", 42, 0),
            ],
            details);
    }

    [Fact]
    public void Json_detail_of_a_thread_starting_with_an_unknown_call_has_no_previous_call()
    {
        string log = _cli.Write("starts.strace", "socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3\nclose(3) = 0\n");

        CliResult result = _cli.Run("check", "--db", _db, "--json", log);

        Assert.Equal(1, result.Exit);
        using JsonDocument json = JsonDocument.Parse(result.Out);
        JsonElement first = json.RootElement.GetProperty("details")[0];
        Assert.Equal(1, first.GetProperty("line").GetInt32());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("prev").ValueKind);
        Assert.Equal(JsonValueKind.Null, first.GetProperty("prev_nr").ValueKind);
        Assert.Equal("socket", first.GetProperty("next").GetString());
        Assert.Equal(41, first.GetProperty("next_nr").GetInt32());
    }

    [Fact]
    public void Json_leaves_a_log_that_cannot_be_read_to_stderr_and_judges_the_rest()
    {
        string empty = _cli.Write("empty.strace", "");

        CliResult result = _cli.Run("check", "--db", _db, "--json", empty, _injected);

        Assert.Equal(65, result.Exit);
        Assert.Equal($"sysprint: error: {empty}:1:1: the log is empty\n", result.Error);
        using JsonDocument json = JsonDocument.Parse(Assert.Single(result.OutLines));
        Assert.Equal(_injected, json.RootElement.GetProperty("log").GetString());
    }

    [Fact]
    public void Gzipped_log_is_read_transparently()
    {
        string gz = _cli.PathOf("normal.strace.gz");
        using (FileStream file = File.Create(gz))
        using (var zip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Fastest))
        {
            zip.Write(System.Text.Encoding.UTF8.GetBytes(Logs.Normal));
        }

        CliResult result = _cli.Run("check", "--db", _db, gz);

        Assert.Equal(0, result.Exit);
        Assert.Equal($"normal     {gz}  3 syscalls match profile 'default'\n", result.Out);
    }

    [Fact]
    public void Program_output_in_a_stderr_capture_is_noted_and_ignored()
    {
        string log = Fixtures.Strace("single_stderr");
        _cli.RunOk("train", "--db", _db, "--profile", "sh", log);

        CliResult result = _cli.Run("check", "--db", _db, "--profile", "sh", log);

        Assert.Equal(0, result.Exit);
        Assert.Equal($"normal     {log}  62 syscalls match profile 'sh'\n", result.Out);
        Assert.Equal($"sysprint: {log}: ignored 1 line of the program's own output mixed into the trace\n", result.Error);
    }

    [Fact]
    public void Json_names_the_vm_when_given()
    {
        CliResult result = _cli.Run("check", "--db", _db, "--json", "--vm", "web-01", _injected);

        using JsonDocument json = JsonDocument.Parse(result.Out);
        Assert.Equal("web-01", json.RootElement.GetProperty("vm").GetString());
    }

    [Fact]
    public void Json_detail_of_an_unnamed_syscall_uses_straces_spelling_and_its_number()
    {
        _cli.RunOk("train", "--db", _db, Fixtures.Strace("single_plain"));

        CliResult result = _cli.Run("check", "--db", _db, "--json", Fixtures.Strace("unknown_syscall"));

        Assert.Equal(1, result.Exit);
        using JsonDocument json = JsonDocument.Parse(result.Out);
        Assert.Equal(17, json.RootElement.GetProperty("syscalls").GetInt32());
        JsonElement detail = Assert.Single(json.RootElement.GetProperty("details").EnumerateArray(),
            d => d.GetProperty("next").GetString() == "syscall_0x3e7");
        Assert.Equal(15, detail.GetProperty("line").GetInt32());
        Assert.Equal("mprotect", detail.GetProperty("prev").GetString());
        Assert.Equal(10, detail.GetProperty("prev_nr").GetInt32());
        Assert.Equal(0x3e7, detail.GetProperty("next_nr").GetInt32());
    }

    [Fact]
    public void Threshold_tolerates_that_many_mismatches()
    {
        CliResult result = _cli.Run("check", "--db", _db, "--threshold", "3", _injected);

        Assert.Equal(0, result.Exit);
        Assert.Equal($"normal     {_injected}  5 syscalls match profile 'default', 3 mismatches (paper score 3) within threshold 3\n", result.Out);
    }

    [Fact]
    public void Negative_threshold_is_a_usage_error()
    {
        CliResult result = _cli.Run("check", "--db", _db, "--threshold", "-1", _injected);

        Assert.Equal(64, result.Exit);
        Assert.Equal("sysprint: error: --threshold must not be negative\nTry 'sysprint check --help'.\n", result.Error);
    }

    [Fact]
    public void Anomalous_log_is_recorded_as_an_alert_naming_the_log_and_the_vm()
    {
        Assert.Equal(1, _cli.Run("check", "--db", _db, "--vm", "web-01", _injected).Exit);

        CliResult result = _cli.Run("alerts", "--db", _db);

        Assert.Equal(0, result.Exit);
        Assert.Matches(
            new Regex("^#1  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ  vm web-01  log " + Regex.Escape(_injected) +
                "  profile 'default'  3 mismatches: openat → socket, socket → connect, connect → read\n$"),
            result.Out);
        Assert.Equal("", result.Error);
    }

    [Fact]
    public void Alerts_json_gives_the_log_vm_and_details()
    {
        Assert.Equal(1, _cli.Run("check", "--db", _db, "--vm", "web-01", _injected).Exit);

        CliResult result = _cli.Run("alerts", "--db", _db, "--json");

        Assert.Equal(0, result.Exit);
        using JsonDocument json = JsonDocument.Parse(Assert.Single(result.OutLines));
        JsonElement alert = json.RootElement;
        Assert.Matches(new Regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"), alert.GetProperty("id").GetString());
        Assert.Equal(1, alert.GetProperty("seq").GetInt32());
        Assert.Equal("check", alert.GetProperty("source").GetString());
        Assert.Equal("paper", alert.GetProperty("detector").GetString());
        Assert.False(string.IsNullOrEmpty(alert.GetProperty("host").GetString()));
        Assert.Equal("web-01", alert.GetProperty("vm").GetString());
        Assert.Equal(_injected, alert.GetProperty("log").GetString());
        Assert.Equal("default", alert.GetProperty("profile").GetString());
        Assert.Equal(3, alert.GetProperty("mismatches").GetInt32());
        Assert.Matches(new Regex("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$"), alert.GetProperty("time").GetString());
        JsonElement first = alert.GetProperty("details")[0];
        Assert.Equal("openat", first.GetProperty("prev").GetString());
        Assert.Equal("socket", first.GetProperty("next").GetString());
        Assert.Equal(2, first.GetProperty("line").GetInt32());
    }

    [Fact]
    public void Alerts_are_filtered_by_vm_profile_host_and_since()
    {
        _cli.Environment["SYSPRINT_HOSTNAME"] = "dom0-a";
        Assert.Equal(1, _cli.Run("check", "--db", _db, "--vm", "web-01", _injected).Exit);
        _cli.Environment["SYSPRINT_HOSTNAME"] = "dom0-b";
        Assert.Equal(1, _cli.Run("check", "--db", _db, "--vm", "db-01", _injected).Exit);

        string[] Vms(params string[] filter) =>
            [.. _cli.RunOk(["alerts", "--db", _db, "--json", .. filter]).OutLines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("vm").GetString()!)];

        Assert.Equal(["db-01", "web-01"], Vms());
        Assert.Equal(["web-01"], Vms("--vm", "web-01"));
        Assert.Equal(["db-01"], Vms("--host", "dom0-b"));
        Assert.Equal(["db-01", "web-01"], Vms("--profile", "default", "--since", "1h"));
        Assert.Empty(Vms("--profile", "nginx"));
        Assert.Empty(Vms("--since", "2999-01-01"));
        Assert.Equal(["db-01"], Vms("--limit", "1"));
    }

    [Fact]
    public void Alerts_since_a_value_that_is_neither_a_time_nor_an_age_is_a_usage_error()
    {
        Assert.Equal(1, _cli.Run("check", "--db", _db, _injected).Exit);

        CliResult result = _cli.Run("alerts", "--db", _db, "--since", "yesterday");

        Expect.Failure(result, 64, "--since: expected a time (2026-11-26T01:00:00Z, 2026-11-26) or an age (30m, 24h, 7d), found 'yesterday'");
    }

    [Fact]
    public void Alert_without_vm_says_so()
    {
        Assert.Equal(1, _cli.Run("check", "--db", _db, _injected).Exit);

        CliResult text = _cli.Run("alerts", "--db", _db);
        CliResult json = _cli.Run("alerts", "--db", _db, "--json");

        Assert.Contains("  vm -  log ", text.Out, StringComparison.Ordinal);
        using JsonDocument alert = JsonDocument.Parse(json.Out);
        Assert.Equal(JsonValueKind.Null, alert.RootElement.GetProperty("vm").ValueKind);
    }

    [Fact]
    public void Alerts_are_listed_newest_first()
    {
        string other = _cli.Write("other.strace", Injected.Replace("socket(", "getpid(", StringComparison.Ordinal));
        Assert.Equal(1, _cli.Run("check", "--db", _db, "--vm", "vm-a", _injected).Exit);
        Assert.Equal(1, _cli.Run("check", "--db", _db, "--vm", "vm-b", other).Exit);

        CliResult result = _cli.Run("alerts", "--db", _db);

        Assert.Equal(2, result.OutLines.Length);
        Assert.StartsWith("#2 ", result.OutLines[0], StringComparison.Ordinal);
        Assert.Contains($"vm vm-b  log {other}", result.OutLines[0], StringComparison.Ordinal);
        Assert.StartsWith("#1 ", result.OutLines[1], StringComparison.Ordinal);
        Assert.Contains($"vm vm-a  log {_injected}", result.OutLines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Normal_log_raises_no_alert()
    {
        Assert.Equal(0, _cli.Run("check", "--db", _db, "--vm", "web-01", _normal).Exit);

        CliResult text = _cli.Run("alerts", "--db", _db);
        CliResult json = _cli.Run("alerts", "--db", _db, "--json");
        CliResult stats = _cli.Run("stats", "--db", _db);

        Assert.Equal("no alerts\n", text.Out);
        Assert.Equal("", json.Out);
        Assert.Contains("checks   1 (0 anomalous), alerts 0\n", stats.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Tolerated_mismatches_raise_no_alert()
    {
        Assert.Equal(0, _cli.Run("check", "--db", _db, "--threshold", "3", _injected).Exit);

        CliResult result = _cli.Run("alerts", "--db", _db);

        Assert.Equal("no alerts\n", result.Out);
    }

    [Fact]
    public void Each_anomalous_log_of_one_check_gets_its_own_alert()
    {
        string other = _cli.Write("other.strace", Injected.Replace("socket(", "getpid(", StringComparison.Ordinal));

        Assert.Equal(1, _cli.Run("check", "--db", _db, "--vm", "web-01", _injected, _normal, other).Exit);
        CliResult result = _cli.Run("alerts", "--db", _db);
        CliResult stats = _cli.Run("stats", "--db", _db);

        Assert.Equal(2, result.OutLines.Length);
        Assert.Contains("checks   3 (2 anomalous), alerts 2\n", stats.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Directory_is_checked_log_by_log_in_name_order()
    {
        string dir = Directory.CreateDirectory(_cli.PathOf("spool")).FullName;
        File.Copy(_injected, Path.Combine(dir, "b.strace"));
        File.Copy(_normal, Path.Combine(dir, "a.strace"));

        CliResult result = _cli.Run("check", "--db", _db, dir);

        Assert.Equal(1, result.Exit);
        Assert.StartsWith($"normal     {Path.Combine(dir, "a.strace")}  3 syscalls", result.OutLines[0], StringComparison.Ordinal);
        Assert.StartsWith($"ANOMALOUS  {Path.Combine(dir, "b.strace")}  3 mismatches", result.OutLines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Many_logs_checked_on_every_core_come_out_in_input_order_each_recorded_once()
    {
        // 600 logs (batches of 8, 16, ... 256 scored in parallel): every 7th injected, every 50th malformed.
        string dir = Directory.CreateDirectory(_cli.PathOf("many")).FullName;
        var expected = new List<string>();
        int anomalous = 0;
        for (int i = 0; i < 600; i++)
        {
            string path = Path.Combine(dir, $"{i:D4}.strace");
            if (i % 50 == 49)
            {
                File.WriteAllText(path, "100   close(1) = 0\n100   CLOSE(2) = 0\n");
                continue;
            }

            bool injected = i % 7 == 0;
            File.Copy(injected ? _injected : _normal, path);
            expected.Add($"{path}:{(injected ? "anomalous" : "normal")}");
            anomalous += injected ? 1 : 0;
        }

        CliResult result = _cli.Run("check", "--db", _db, "--json", dir);
        CliResult stats = _cli.Run("stats", "--db", _db);

        Assert.Equal(65, result.Exit);
        Assert.Equal(expected, result.OutLines.Select(line =>
        {
            using JsonDocument json = JsonDocument.Parse(line);
            return $"{json.RootElement.GetProperty("log").GetString()}:{json.RootElement.GetProperty("verdict").GetString()}";
        }));
        Assert.Equal(12, result.ErrorLines.Length);
        Assert.StartsWith($"sysprint: error: {Path.Combine(dir, "0049.strace")}:2:", result.ErrorLines[0], StringComparison.Ordinal);
        Assert.Contains($"checks   {expected.Count} ({anomalous} anomalous), alerts {anomalous}\n", stats.Out, StringComparison.Ordinal);
    }
}

using System.Text.Json;
using Sysprint.Agent.Alerts;
using Sysprint.Agent.Outbox;
using Sysprint.Agent.Sinks;
using Sysprint.Diagnostics;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Storage.Sqlite;

namespace Sysprint.Agent.Tests.Sinks;

/// <summary>
/// A sink counts an alert delivered only when it was taken: a program that fails or does not read
/// its input, and an alert file rotated under the agent, must neither lose nor repeat an alert.
/// </summary>
[Trait("Speed", "slow")]
public sealed class SinkDeliveryTests : IDisposable
{
    private static readonly SyscallTable s_table = SyscallTable.Builtin("x86_64");
    private static readonly OutboxOptions s_fast = new() { InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(200) };

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Alert MakeAlert(int line) => new AlertFactory("dom0").Mismatch(
        new AlertSubject("web-01", "/spool/web-01/cat.strace", "key", "cat", "default", "paper"),
        new Mismatch([0, 41], line, 100), s_table, DateTimeOffset.UtcNow);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static List<string> Uuids(string file) =>
        [.. File.ReadAllLines(file).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("uuid").GetString()!)];

    [Theory]
    [InlineData("cat >/dev/null; exit 3", "status 3")]
    [InlineData("exit 0", "exited with status 0")]
    [InlineData("sleep 0.2; exit 0", "unread")]
    public async Task A_program_that_fails_or_does_not_read_the_alert_has_not_taken_it(string command, string reason)
    {
        await using var sink = new ProgramSink(command);

        IOException e = await Assert.ThrowsAsync<IOException>(() => sink.DeliverAsync(MakeAlert(1).ToOutbox(), Token));

        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_syslog_socket_that_does_not_exist_is_named_with_the_fix()
    {
        string missing = _dir.PathOf("no-such-log");
        await using SyslogSink sink = SyslogSink.Parse("unix:" + missing, "user");

        IOException gone = await Assert.ThrowsAsync<IOException>(() => sink.DeliverAsync(MakeAlert(1).ToOutbox(), Token));

        Assert.Equal($"{missing}: no syslog daemon to take the alert, it does not exist: start one (rsyslog, or systemd-journald's /dev/log), or remove this syslog sink", gone.Message);
    }

    [Fact]
    public async Task A_program_that_reads_the_alert_and_exits_0_has_taken_it()
    {
        string output = _dir.PathOf("out.jsonl");
        await using var sink = new ProgramSink($"cat >> '{output}'");
        Alert alert = MakeAlert(1);

        await sink.DeliverAsync(alert.ToOutbox(), Token);

        Assert.Equal([alert.Id], Uuids(output));
    }

    [Fact]
    public async Task A_program_still_running_at_the_delivery_timeout_is_killed_and_the_alert_not_taken()
    {
        string pidFile = _dir.PathOf("pid");
        await using var sink = new ProgramSink($"echo $$ > '{pidFile}'; cat >/dev/null; exec sleep 600");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sink.DeliverAsync(MakeAlert(1).ToOutbox(), timeout.Token));

        int pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Eventually.True(() => !Directory.Exists($"/proc/{pid}") || File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal),
            "the timed-out program to be killed", seconds: 60);
    }

    [Fact]
    public async Task A_failing_program_sink_gets_each_alert_once_when_it_recovers()
    {
        string output = _dir.PathOf("taken.jsonl");
        string attempts = _dir.PathOf("attempts");
        string healthy = _dir.PathOf("healthy");
        // Fails (exit 3) until 'healthy' exists, counting its attempts; keeps only what it took.
        string command = $"line=$(cat); if [ -e '{healthy}' ]; then printf '%s\\n' \"$line\" >> '{output}'; else echo x >> '{attempts}'; exit 3; fi";
        Alert[] alerts = [MakeAlert(1), MakeAlert(2), MakeAlert(3)];
        var store = SqliteFingerprintStore.Open(_dir.PathOf("outbox.db"), createIfMissing: true);
        await using var outbox = new AlertOutbox(store, [new ProgramSink(command)], console: null, s_fast);
        outbox.Start();

        foreach (Alert alert in alerts)
        {
            outbox.Raise(alert);
        }

        Eventually.True(() => File.Exists(attempts) && File.ReadAllLines(attempts).Length >= 3, "three failed deliveries", seconds: 60);
        await File.WriteAllTextAsync(healthy, "", Token);
        long pending = await outbox.FlushAsync(TimeSpan.FromSeconds(60), Token);

        Assert.Equal(0, pending);
        Assert.Equal(alerts.Select(a => a.Id), Uuids(output));
    }

    [Fact]
    public async Task Jsonl_after_logrotate_create_writes_to_the_path_it_was_given()
    {
        string file = _dir.PathOf("alerts.jsonl");
        await using var sink = new JsonLinesSink(file);
        Alert before = MakeAlert(1);
        Alert after = MakeAlert(2);

        await sink.DeliverAsync(before.ToOutbox(), Token);
        File.Move(file, file + ".1");
        await sink.DeliverAsync(after.ToOutbox(), Token);

        Assert.Equal([before.Id], Uuids(file + ".1"));
        Assert.Equal([after.Id], Uuids(file));
    }

    [Fact]
    public async Task Jsonl_after_logrotate_copytruncate_appends_at_the_new_end_with_no_hole()
    {
        string file = _dir.PathOf("alerts.jsonl");
        await using var sink = new JsonLinesSink(file);
        Alert before = MakeAlert(1);
        Alert after = MakeAlert(2);

        await sink.DeliverAsync(before.ToOutbox(), Token);
        File.Copy(file, file + ".1");
        using (new FileStream(file, FileMode.Truncate, FileAccess.Write))
        {
        }

        await sink.DeliverAsync(after.ToOutbox(), Token);

        Assert.Equal([before.Id], Uuids(file + ".1"));
        byte[] bytes = await File.ReadAllBytesAsync(file, Token);
        Assert.DoesNotContain((byte)0, bytes);
        Assert.Equal([after.Id], Uuids(file));
    }

    [Fact]
    public void Jsonl_in_a_missing_folder_is_refused_at_start_naming_the_folder()
    {
        string file = _dir.PathOf("no/such/dir/alerts.jsonl");

        SysprintException e = Assert.Throws<SysprintException>(() => new JsonLinesSink(file));

        Assert.Equal(ErrorKind.InputMissing, e.Kind);
        Assert.Equal($"{file}: the folder of the alert file does not exist: create it (install -d {_dir.PathOf("no/such/dir")}) or name another file", e.Message);
        Assert.False(Directory.Exists(_dir.PathOf("no")));
    }
}

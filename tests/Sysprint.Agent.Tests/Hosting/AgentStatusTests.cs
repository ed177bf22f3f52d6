using System.Text.Json;
using Sysprint.Agent.Tracing;
using Sysprint.Storage;
using Sysprint.Storage.Sqlite;

namespace Sysprint.Agent.Tests.Hosting;

/// <summary>
/// <c>agent-status --json</c> of a real running agent (typed fields, the age of the oldest pending
/// alert, <c>--config</c>), and <c>retention_days</c> pruning what the agent no longer needs.
/// </summary>
public sealed class AgentStatusTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _db;
    private readonly string _spool;

    public AgentStatusTests()
    {
        _db = Support.Cli.TrainedStore(_dir, "agent.db", Logs.NormalLines(100, 3));
        _spool = _dir.PathOf("spool");
        Directory.CreateDirectory(Path.Combine(_spool, "web-01"));
    }

    public void Dispose() => _dir.Dispose();

    private static string Anomalous(int pid) =>
        $"{pid}   openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY) = 3\n{pid}   read(3, \"vm\\n\", 131072) = 3\n{pid}   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4\n{pid}   close(3) = 0\n";

    [Fact]
    public void Json_status_has_numbers_as_numbers_sinks_as_objects_and_the_age_of_the_oldest_pending_alert()
    {
        string config = _dir.Write("agent.json", $$"""
            { "db": "{{_db}}", "spools": ["{{_spool}}"], "stdout": false,
              "sinks": { "program": ["cat >/dev/null; exit 3"] }, "retry_initial_ms": 200, "retry_max_ms": 400 }
            """);
        using SysprintProcess agent = SysprintProcess.Start(["watch", "--config", config]);
        File.WriteAllText(Path.Combine(_spool, "web-01", "a.strace"), Anomalous(300));

        JsonElement status = default;
        Eventually.True(() =>
        {
            // --config alone finds the store, as the agent did.
            var (exit, output, _) = Support.Cli.Run("agent-status", "--config", config, "--json");
            Assert.Equal(0, exit);
            status = JsonDocument.Parse(output).RootElement.Clone();
            return status.GetProperty("running").GetBoolean() && status.GetProperty("totals").GetProperty("pending").GetInt64() >= 2
                && status.GetProperty("sinks")[0].GetProperty("failed_attempts").GetInt64() >= 2;
        }, "the agent to run with alerts pending after failed deliveries");

        JsonElement info = status.GetProperty("agent");
        Assert.Equal(JsonValueKind.Number, info.GetProperty("pid").ValueKind);
        Assert.Equal(agent.Id, info.GetProperty("pid").GetInt32());
        Assert.Equal(JsonValueKind.Number, info.GetProperty("checkpoint_ms").ValueKind);
        Assert.Equal(JsonValueKind.Number, info.GetProperty("alerts_raised").ValueKind);
        Assert.Equal(JsonValueKind.Number, info.GetProperty("heartbeat_age_s").ValueKind);
        Assert.Equal([_spool], info.GetProperty("spools").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(["program:cat >/dev/null; exit 3"], info.GetProperty("sinks").EnumerateArray().Select(s => s.GetString()));
        JsonElement sink = Assert.Single(status.GetProperty("sinks").EnumerateArray());
        Assert.Equal(JsonValueKind.Object, sink.ValueKind);
        Assert.Equal("program:cat >/dev/null; exit 3", sink.GetProperty("sink").GetString());
        Assert.Equal(0, sink.GetProperty("delivered").GetInt64());
        Assert.True(sink.GetProperty("oldest_pending_age_s").GetDouble() >= 0);
        Assert.Contains("exited with status 3", sink.GetProperty("last_error").GetString(), StringComparison.Ordinal);
        Assert.Equal(sink.GetProperty("oldest_pending").GetString(), status.GetProperty("totals").GetProperty("oldest_pending").GetString());
        Assert.Equal(JsonValueKind.Number, status.GetProperty("totals").GetProperty("lines").ValueKind);
        Assert.Equal(JsonValueKind.Number, status.GetProperty("files")[0].GetProperty("lag_bytes").ValueKind);

        string text = Support.Cli.RunOk("agent-status", "--config", config);
        Assert.Contains("  OLDEST ", text, StringComparison.Ordinal);

        agent.Signal(SysprintProcess.SigTerm);
        int exit = agent.WaitForExit();
        Assert.True(exit == 0, $"SIGTERM: exit {exit}\n{agent.Error}");
    }

    [Fact]
    public void Retention_prunes_delivered_alerts_and_finished_files_gone_from_the_spool_and_keeps_the_rest()
    {
        DateTimeOffset old = DateTimeOffset.UtcNow.AddDays(-40);
        string present = _dir.Write("spool/web-01/present.strace", Anomalous(400));
        (long device, long inode) = Posix.FileId(present)!.Value;
        using (SqliteFingerprintStore store = SqliteFingerprintStore.Open(_db, createIfMissing: false))
        {
            OutboxAlert Alert(string id, string log) => new(id, old, "Unknown system-call transition", "Critical", "syscall", "web-01", log, "{}", "text");
            WatchedFile Row(string key, string path, long dev, long ino, long size) => new()
            {
                Key = key, Vm = "web-01", Path = path, Device = dev, Inode = ino, HeadLength = 1,
                HeadHash = File.Exists(path) ? Sysprint.Agent.Watch.FileHead.Hash(path, 1)! : "h", Size = size, Bytes = size,
                State = WatchedFileStates.Done, FirstSeen = old, Updated = old,
            };
            store.AddAlert(Alert("gone-delivered", Path.Combine(_spool, "web-01", "gone.strace")), ["jsonl:/x"]);
            store.MarkDelivered("gone-delivered", "jsonl:/x", old);
            store.AddAlert(Alert("gone-pending", Path.Combine(_spool, "web-01", "gone.strace")), ["jsonl:/x"]);
            store.AddAlert(Alert("present-delivered", present), ["jsonl:/x"]);
            store.MarkDelivered("present-delivered", "jsonl:/x", old);
            store.AddWatchedFile(Row("gone", Path.Combine(_spool, "web-01", "gone.strace"), 1, 1, 10));
            store.AddWatchedFile(Row("present", present, device, inode, new FileInfo(present).Length));
        }

        string config = _dir.Write("agent.json", $$"""{ "db": "{{_db}}", "spools": ["{{_spool}}"], "stdout": false, "retention_days": 30 }""");
        using SysprintProcess agent = SysprintProcess.Start(["watch", "--config", config]);
        Eventually.True(() => agent.Error.Contains("pruned 1 finished files gone from the spool and 1 delivered alerts, older than 30 days (retention_days)", StringComparison.Ordinal)
            || agent.HasExited, "the agent to prune at start");
        agent.Signal(SysprintProcess.SigTerm);
        Assert.Equal(0, agent.WaitForExit());

        using SqliteFingerprintStore after = SqliteFingerprintStore.Open(_db, createIfMissing: false);
        Assert.Equal(["gone-pending", "present-delivered"], after.ListOutboxAlerts(10).Select(a => a.Id).Order(StringComparer.Ordinal));
        WatchedFile kept = Assert.Single(after.ListWatchedFiles());
        Assert.Equal(present, kept.Path);
        // Still known, so not read again: its anomaly raised no new alert.
        Assert.Equal(WatchedFileStates.Done, kept.State);
    }
}

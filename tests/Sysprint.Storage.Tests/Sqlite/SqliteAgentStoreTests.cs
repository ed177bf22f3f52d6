using Sysprint.Storage.Sqlite;

namespace Sysprint.Storage.Tests.Sqlite;

/// <summary>Schema version 2: the live agent's outbox and watched files.</summary>
public sealed class SqliteAgentStoreTests : IDisposable
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 26, 1, 0, 0, TimeSpan.Zero);

    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    private static OutboxAlert Alert(string id, int minute = 0) =>
        new(id, s_t0.AddMinutes(minute), "Unknown system-call transition", "Critical", "syscall", "web-01", "/spool/web-01/a.strace", $"{{\"uuid\":\"{id}\"}}", $"text {id}");

    [Fact]
    public void An_alert_is_stored_once_with_one_pending_delivery_per_sink()
    {
        using SqliteFingerprintStore store = _temp.Open();

        bool first = store.AddAlert(Alert("a"), ["webhook:x", "jsonl:/f"]);
        bool again = store.AddAlert(Alert("a", minute: 5), ["webhook:x", "program:y"]);

        Assert.True(first);
        Assert.False(again);
        Assert.Equal(["a"], store.PendingAlerts("webhook:x", 10).Select(a => a.Id));
        Assert.Empty(store.PendingAlerts("program:y", 10));
        Assert.Equal(s_t0, Assert.Single(store.ListOutboxAlerts(10)).Time);
    }

    [Fact]
    public void Deliveries_are_pending_oldest_first_until_marked_delivered_and_failures_are_counted()
    {
        using SqliteFingerprintStore store = _temp.Open();
        store.AddAlert(Alert("a"), ["s"]);
        store.AddAlert(Alert("b"), ["s"]);
        store.AddAlert(Alert("c"), ["s"]);

        store.MarkFailed("a", "s", "refused", s_t0);
        store.MarkFailed("a", "s", "refused again", s_t0.AddSeconds(1));
        store.MarkDelivered("a", "s", s_t0.AddSeconds(2));
        store.MarkDelivered("b", "s", s_t0.AddSeconds(3));

        Assert.Equal(["c"], store.PendingAlerts("s", 10).Select(a => a.Id));
        SinkCounts counts = Assert.Single(store.CountDeliveries());
        Assert.Equal(new SinkCounts("s", 2, 1, 2, s_t0.AddSeconds(3), "refused again", s_t0.AddSeconds(2)), counts);
    }

    [Fact]
    public void Watched_files_keep_their_progress_and_state()
    {
        using SqliteFingerprintStore store = _temp.Open();
        var file = new WatchedFile
        {
            Key = "k1", Vm = "web-01", Path = "/spool/web-01/a.strace", Device = 2049, Inode = 1234, HeadLength = 10,
            HeadHash = "ab", State = WatchedFileStates.Reading, FirstSeen = s_t0, Updated = s_t0,
        };

        WatchedFile added = store.AddWatchedFile(file);
        store.UpdateWatchedFiles([added with { Bytes = 100, Size = 120, Lines = 3, Syscalls = 3, Alerts = 1, State = WatchedFileStates.Done, Updated = s_t0.AddMinutes(1) }]);

        WatchedFile read = Assert.Single(store.ListWatchedFiles());
        Assert.Equal(added with { Bytes = 100, Size = 120, Lines = 3, Syscalls = 3, Alerts = 1, State = WatchedFileStates.Done, Updated = s_t0.AddMinutes(1) }, read);
        Assert.True(read.Id > 0);
    }

    [Fact]
    public void A_version_1_store_is_upgraded_to_the_current_version_keeping_its_profiles()
    {
        using (SqliteFingerprintStore store = _temp.Open())
        {
            store.CreateProfile("cat", 2, "paper", 0);
        }

        _temp.Execute(
            "DROP TABLE agent_alerts; DROP TABLE agent_deliveries; DROP TABLE agent_files; DROP TABLE agent_info; " +
            "DROP TABLE log_windows; PRAGMA user_version = 1");

        using (SqliteFingerprintStore upgraded = _temp.Open(createIfMissing: false))
        {
            Assert.NotNull(upgraded.FindProfile("cat"));
            Assert.True(upgraded.AddAlert(Alert("a"), ["s"]));
        }

        Assert.Equal((long)SqliteFingerprintStore.CurrentSchemaVersion, _temp.Scalar("PRAGMA user_version"));
    }

    [Fact]
    public void Agent_info_is_set_and_read_back()
    {
        using SqliteFingerprintStore store = _temp.Open();

        store.SetAgentInfo(new Dictionary<string, string> { ["pid"] = "42", ["started"] = "then" });
        store.SetAgentInfo(new Dictionary<string, string> { ["pid"] = "43" });

        Assert.Equal(new Dictionary<string, string> { ["pid"] = "43", ["started"] = "then" }, store.GetAgentInfo());
    }
}

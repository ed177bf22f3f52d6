namespace Sysprint.Storage.Contract;

/// <summary>
/// The live agent's part of the store contract (<see cref="IAgentStore"/>: the alert outbox, the
/// watched files, the agent's facts), for backends that keep it. Derive a sealed class and say how
/// to open the store; one instance per test, each with its own empty store.
/// </summary>
public abstract class AgentStoreContract : IDisposable
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 26, 1, 0, 0, TimeSpan.Zero);

    /// <summary>A new connection to this test's store; the first call creates it empty.</summary>
    protected abstract IAgentStore OpenAgentStore();

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Removes this test's store.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    private static OutboxAlert Alert(string id, int minute = 0) =>
        new(id, s_t0.AddMinutes(minute), "Unknown system-call transition", "Critical", "syscall", "web-01", "/spool/web-01/a.strace", $"{{\"uuid\":\"{id}\"}}", $"text {id}");

    [Fact]
    public void An_alert_is_stored_once_with_one_pending_delivery_per_sink()
    {
        using IAgentStore store = OpenAgentStore();

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
        using IAgentStore store = OpenAgentStore();
        store.AddAlert(Alert("a"), ["s"]);
        store.AddAlert(Alert("b"), ["s"]);
        store.AddAlert(Alert("c"), ["s"]);

        store.MarkFailed("a", "s", "refused", s_t0);
        store.MarkFailed("a", "s", "refused again", s_t0.AddSeconds(1));
        store.MarkDelivered("a", "s", s_t0.AddSeconds(2));
        store.MarkDelivered("b", "s", s_t0.AddSeconds(3));

        Assert.Equal(["c"], store.PendingAlerts("s", 10).Select(a => a.Id));
        SinkCounts counts = Assert.Single(store.CountDeliveries());
        Assert.Equal(new SinkCounts("s", 2, 1, 2, s_t0.AddSeconds(3), "refused again", s_t0.AddSeconds(2), s_t0), counts);
    }

    [Fact]
    public void Watched_files_keep_their_progress_and_state()
    {
        using IAgentStore store = OpenAgentStore();
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
    public void The_oldest_pending_alert_is_counted_per_sink_and_none_once_all_are_delivered()
    {
        using IAgentStore store = OpenAgentStore();
        store.AddAlert(Alert("a", minute: 1), ["s", "t"]);
        store.AddAlert(Alert("b", minute: 2), ["s", "t"]);

        store.MarkDelivered("a", "s", s_t0.AddMinutes(3));
        store.MarkDelivered("a", "t", s_t0.AddMinutes(3));
        store.MarkDelivered("b", "t", s_t0.AddMinutes(3));

        IReadOnlyList<SinkCounts> counts = store.CountDeliveries();
        Assert.Equal(s_t0.AddMinutes(2), counts.Single(c => c.Sink == "s").OldestPending);
        Assert.Null(counts.Single(c => c.Sink == "t").OldestPending);
    }

    [Fact]
    public void Pruning_removes_old_alerts_every_sink_took_whose_log_is_no_longer_watched_and_only_those()
    {
        using IAgentStore store = OpenAgentStore();
        OutboxAlert Of(string id, int minute, string? log) => Alert(id, minute) with { Log = log };
        store.AddAlert(Of("old-done", 0, "/spool/web-01/gone.strace"), ["s", "t"]);
        store.AddAlert(Of("old-pending", 0, "/spool/web-01/gone.strace"), ["s", "t"]);
        store.AddAlert(Of("old-watched", 0, "/spool/web-01/kept.strace"), ["s"]);
        store.AddAlert(Of("old-no-log", 0, null), ["s"]);
        store.AddAlert(Of("old-no-sink", 0, "/spool/web-01/gone.strace"), []);
        store.AddAlert(Of("new-done", 90, "/spool/web-01/gone.strace"), ["s"]);
        foreach (string id in new[] { "old-done", "old-watched", "old-no-log", "new-done" })
        {
            store.MarkDelivered(id, "s", s_t0.AddMinutes(100));
        }

        store.MarkDelivered("old-done", "t", s_t0.AddMinutes(100));
        store.MarkDelivered("old-pending", "s", s_t0.AddMinutes(100));
        store.AddWatchedFile(new WatchedFile
        {
            Key = "k", Vm = "web-01", Path = "/spool/web-01/kept.strace", Device = 1, Inode = 2, HeadLength = 1, HeadHash = "h",
            State = WatchedFileStates.Done, FirstSeen = s_t0, Updated = s_t0,
        });

        int pruned = store.PruneDeliveredAlerts(s_t0.AddMinutes(60));

        Assert.Equal(3, pruned);
        Assert.Equal(["new-done", "old-pending", "old-watched"], store.ListOutboxAlerts(10).Select(a => a.Id).Order(StringComparer.Ordinal));
        Assert.Equal(["old-pending"], store.PendingAlerts("t", 10).Select(a => a.Id));

        // A pruned alert raised again is new to the outbox: only logs no longer watched lose theirs.
        Assert.False(store.AddAlert(Of("old-watched", 0, "/spool/web-01/kept.strace"), ["s"]));
    }

    [Fact]
    public void Watched_files_are_deleted_by_id()
    {
        using IAgentStore store = OpenAgentStore();
        WatchedFile File(string key) => new()
        {
            Key = key, Vm = "web-01", Path = "/spool/web-01/" + key, Device = 1, Inode = 2, HeadLength = 1, HeadHash = "h",
            State = WatchedFileStates.Done, FirstSeen = s_t0, Updated = s_t0,
        };
        WatchedFile a = store.AddWatchedFile(File("a"));
        WatchedFile b = store.AddWatchedFile(File("b"));
        WatchedFile c = store.AddWatchedFile(File("c"));

        Assert.Equal(2, store.DeleteWatchedFiles([a.Id, c.Id, 999_999]));
        Assert.Equal([b], store.ListWatchedFiles());
    }

    [Fact]
    public void Agent_info_is_set_and_read_back_the_last_one_recorded()
    {
        using IAgentStore store = OpenAgentStore();
        DateTimeOffset started = new(2026, 12, 3, 7, 0, 0, 123, TimeSpan.Zero);
        var first = new AgentInfo(42, started, started.AddSeconds(5), false, ["/var/log/vms"], ["stdout"], TimeSpan.FromSeconds(5), 3, 0);
        var last = first with { Pid = 43, Heartbeat = started.AddSeconds(10), Stopped = true, Sinks = ["stdout", "syslog"], AlertsRaised = 7, AlertsRepeated = 1 };

        AgentInfo? before = store.GetAgentInfo();
        store.SetAgentInfo(first);
        store.SetAgentInfo(last);
        AgentInfo read = store.GetAgentInfo()!;

        Assert.Null(before);
        Assert.Equal((43, started, started.AddSeconds(10), true, TimeSpan.FromSeconds(5), 7L, 1L),
            (read.Pid, read.Started, read.Heartbeat, read.Stopped, read.CheckpointInterval, read.AlertsRaised, read.AlertsRepeated));
        Assert.Equal(["/var/log/vms"], read.Spools);
        Assert.Equal(["stdout", "syslog"], read.Sinks);
    }
}

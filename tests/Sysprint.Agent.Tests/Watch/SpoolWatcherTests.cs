using System.IO.Compression;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Sysprint.Agent.Alerts;
using Sysprint.Agent.Outbox;
using Sysprint.Agent.Watch;
using Sysprint.Storage;
using Sysprint.Storage.Sqlite;

namespace Sysprint.Agent.Tests.Watch;

/// <summary>
/// The spool watcher on real files in a temporary spool: logs appearing and growing, rotated by
/// rename, copy and truncate, compressed; the watcher stopped and started again.
/// </summary>
[Trait("Speed", "slow")]
public sealed class SpoolWatcherTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _db;

    public SpoolWatcherTests()
    {
        _db = Support.Cli.TrainedStore(_dir, "watch.db", Logs.NormalLines(100, 3) + "100   +++ exited with 0 +++\n");
    }

    private string Spool => _dir.PathOf("spool");

    public void Dispose() => _dir.Dispose();

    /// <summary>A watcher running on its own thread until disposed (a stop, as SIGTERM does).</summary>
    private sealed class Running : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _task;
        private readonly AlertOutbox _outbox;
        private readonly SqliteFingerprintStore _store;

        public Running(string db, string spool, TailOptions? tail = null, bool followSymlinks = false, string? detector = null, TimeSpan? scanInterval = null, bool inotify = true,
            TimeSpan? silentAfter = null)
        {
            _store = SqliteFingerprintStore.Open(db, createIfMissing: false);
            Console = new StringWriter();
            _outbox = new AlertOutbox(SqliteFingerprintStore.Open(db, createIfMissing: false), [], new SynchronizedWriter(Console));
            _outbox.Start();
            var settings = new WatchSettings
            {
                Spools = [spool],
                ScanInterval = scanInterval ?? TimeSpan.FromMilliseconds(50),
                Inotify = inotify,
                SilentVmAfter = silentAfter ?? TimeSpan.FromMinutes(2),
                CheckpointInterval = TimeSpan.FromMilliseconds(100),
                Settle = TimeSpan.FromMilliseconds(100),
                Tail = tail ?? new TailOptions { PollInterval = TimeSpan.FromMilliseconds(20), RotateGrace = TimeSpan.FromMilliseconds(200) },
                FollowSymlinks = followSymlinks,
                Detector = detector,
            };
            Watcher = new SpoolWatcher(settings, _store, _store, _outbox, new AlertFactory("dom0"), NullLogger.Instance);
            Watcher.Prepare();
            _task = Task.Factory.StartNew(() => Watcher.Run(_stop.Token), TaskCreationOptions.LongRunning);
        }

        public SpoolWatcher Watcher { get; }

        public StringWriter Console { get; }

        public long Raised => _outbox.Raised;

        public long Repeated => _outbox.Duplicates;

        /// <summary>
        /// Waits until the watcher has scanned the spools <paramref name="scans"/> more times (and its
        /// readers have had as long to poll): what was going to happen after a change has had its
        /// chance, on a loaded machine too, since scans slow down with it.
        /// </summary>
        public Task Settled(int scans = 6)
        {
            long target = Watcher.Scans + scans;
            return Eventually.TrueAsync(() => Watcher.Scans >= target, $"{scans} more scans of the spool");
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _task;
            await _outbox.DisposeAsync();
            _store.Dispose();
            _stop.Dispose();
        }
    }

    /// <summary>A writer safe for the outbox's console lock and the test's reads.</summary>
    private sealed class SynchronizedWriter(StringWriter inner) : TextWriter
    {
        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            lock (inner)
            {
                inner.Write(value);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (inner)
            {
                inner.WriteLine(value);
            }
        }
    }

    private List<OutboxAlert> StoredAlerts()
    {
        using var store = SqliteFingerprintStore.Open(_db, createIfMissing: false);
        return [.. store.ListOutboxAlerts(1000).Reverse()];
    }

    private static string Next(OutboxAlert alert) =>
        System.Text.Json.JsonDocument.Parse(alert.Json).RootElement.GetProperty("output_fields").GetProperty("mismatch.next").GetString()!;

    private string Append(string relative, string text)
    {
        string path = Path.Combine(Spool, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.AppendAllText(path, text);
        return path;
    }

    [Fact]
    public async Task An_alert_is_raised_as_soon_as_the_offending_line_lands_in_a_log_still_being_written()
    {
        await using var agent = new Running(_db, Spool);
        string log = Append("web-01/2026/cat.strace", Logs.NormalLines(200, 2));
        Eventually.True(() => agent.Watcher.ActiveFiles == 1, "the log is being read");

        Append("web-01/2026/cat.strace", "200   openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY) = 3\n200   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4\n");
        Eventually.True(() => agent.Raised == 1, "an alert for openat -> socket");

        OutboxAlert alert = Assert.Single(StoredAlerts());
        Assert.Equal("web-01", alert.Vm);
        Assert.Equal(log, alert.Log);
        Assert.Equal("socket", Next(alert));
        Assert.Contains($"(vm=web-01 log={log} line=8 pid=200 ", agent.Console.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Through_inotify_a_new_log_and_a_log_moved_in_alert_with_no_rescan()
    {
        Directory.CreateDirectory(Path.Combine(Spool, "web-01"));
        // After the first scan the spool is not listed again for an hour: only inotify can bring these alerts.
        await using var agent = new Running(_db, Spool, scanInterval: TimeSpan.FromHours(1));
        Eventually.True(() => agent.Watcher.Scans == 1 && agent.Watcher.InotifyWatches == 1, "the first scan, and inotify on the spool");

        string log = Append("web-01/new.strace", Logs.NormalLines(900, 2) + "900   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4\n");
        Eventually.True(() => agent.Raised == 1, "the new log's anomaly");
        string outside = _dir.PathOf("elsewhere.strace");
        await File.WriteAllTextAsync(outside, Logs.NormalLines(901, 2) + "901   bind(4, {sa_family=AF_INET}, 16) = 0\n", TestContext.Current.CancellationToken);
        File.Move(outside, Path.Combine(Spool, "web-01", "moved.strace"));
        Eventually.True(() => agent.Raised == 2, "the anomaly of the log moved into the spool");
        Append("web-01/new.strace", "900   bind(4, {sa_family=AF_INET}, 16) = 0\n");
        Eventually.True(() => agent.Raised == 3, "the anomaly appended to the first log");

        Assert.Equal(1, agent.Watcher.Scans);
        Assert.True(agent.Watcher.EventScans >= 2);
        Assert.Equal(["socket", "bind", "bind"], StoredAlerts().Select(Next));
        Assert.Equal(log, StoredAlerts()[0].Log);
    }

    [Fact]
    public async Task Through_inotify_a_line_appended_wakes_its_reader_with_no_poll()
    {
        // No reader polls for an hour: only inotify can bring the appended lines' alerts.
        var tail = new TailOptions { PollInterval = TimeSpan.FromHours(1), RotateGrace = TimeSpan.FromMilliseconds(200) };
        await using var agent = new Running(_db, Spool, tail);
        string log = Append("web-01/app.strace", Logs.NormalLines(920, 2));
        Eventually.True(() => agent.Watcher.Progress().Lines == 6, "the log read to its end");

        Append("web-01/app.strace", "920   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4\n");
        Eventually.True(() => agent.Raised == 1, "the first appended anomaly");
        Append("web-01/app.strace", "920   bind(4, {sa_family=AF_INET}, 16) = 0\n");
        Eventually.True(() => agent.Raised == 2, "the second, after the reader waited again");

        Assert.Equal(["socket", "bind"], StoredAlerts().Select(Next));
        Assert.Equal(log, StoredAlerts()[1].Log);
    }

    [Fact]
    public async Task Without_inotify_the_rescan_and_the_polls_still_see_new_logs_and_appends()
    {
        await using var agent = new Running(_db, Spool, inotify: false);

        Append("web-01/new.strace", Logs.NormalLines(910, 2) + "910   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4\n");
        Eventually.True(() => agent.Raised == 1, "the new log's anomaly");
        Append("web-01/new.strace", "910   bind(4, {sa_family=AF_INET}, 16) = 0\n");
        Eventually.True(() => agent.Raised == 2, "the appended anomaly");

        Assert.Equal(0, agent.Watcher.InotifyWatches);
        Assert.Equal(0, agent.Watcher.EventScans);
        Assert.Equal(["socket", "bind"], StoredAlerts().Select(Next));
    }

    [Fact]
    public async Task A_log_read_before_a_restart_raises_only_its_new_anomalies_after()
    {
        string log = Append("web-01/a.strace", Logs.NormalLines(300, 1) + "300   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4\n");
        await using (var first = new Running(_db, Spool))
        {
            Eventually.True(() => first.Raised == 1, "the first anomaly");
        }

        Append("web-01/a.strace", "300   close(4) = 0\n300   bind(4, {sa_family=AF_INET}, 16) = 0\n");
        await using var second = new Running(_db, Spool);
        Eventually.True(() => second.Raised == 2, "the new anomalies (socket -> close, close -> bind)");
        await second.Settled();

        Assert.Equal(2, second.Raised);
        Assert.Equal(1, second.Repeated);
        Assert.Equal(["socket", "close", "bind"], StoredAlerts().Select(Next));
        Assert.Equal(log, StoredAlerts()[0].Log);
    }

    [Fact]
    public async Task A_log_read_to_its_end_is_not_read_again_after_a_restart()
    {
        Append("web-01/done.strace", Logs.NormalLines(400, 2) + "400   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4\n");
        var tail = new TailOptions { PollInterval = TimeSpan.FromMilliseconds(20), IdleTimeout = TimeSpan.FromMilliseconds(300) };
        await using (var first = new Running(_db, Spool, tail))
        {
            Eventually.True(() => first.Raised == 1 && first.Watcher.ActiveFiles == 0, "the log read, then finished as idle");
        }

        await using var second = new Running(_db, Spool, tail);
        await second.Settled();

        Assert.Equal(0, second.Watcher.ActiveFiles);
        Assert.Equal(0, second.Raised + second.Repeated);
    }

    [Fact]
    public async Task Rotation_by_rename_reads_the_new_log_and_never_the_renamed_one_again()
    {
        await using var agent = new Running(_db, Spool);
        string log = Append("web-01/app.strace", Logs.NormalLines(500, 1) + "500   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4\n");
        Eventually.True(() => agent.Raised == 1, "the old log's anomaly");

        File.Move(log, log + ".1");
        Append("web-01/app.strace", Logs.NormalLines(501, 1) + "501   bind(4, {sa_family=AF_INET}, 16) = 0\n");
        Eventually.True(() => agent.Raised == 2, "the new log's anomaly");
        await agent.Settled();

        Assert.Equal(2, agent.Raised);
        Assert.Equal(0, agent.Repeated);
        Assert.Equal(["socket", "bind"], StoredAlerts().Select(Next));
    }

    [Fact]
    public async Task Copy_and_truncate_rotation_reads_the_new_content_and_the_copy_raises_nothing_twice()
    {
        await using var agent = new Running(_db, Spool);
        string log = Append("web-01/app.strace", Logs.NormalLines(600, 1) + "600   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4\n");
        Eventually.True(() => agent.Raised == 1, "the first anomaly");

        File.Copy(log, log + ".1");
        await File.WriteAllTextAsync(log, "", TestContext.Current.CancellationToken);
        await agent.Settled();
        Append("web-01/app.strace", Logs.NormalLines(601, 2) + "601   bind(4, {sa_family=AF_INET}, 16) = 0\n");
        Eventually.True(() => agent.Raised == 2, "the anomaly after the truncation");
        await agent.Settled();

        // The copy kept beside it makes the truncation a rotation, not a shrink.
        Assert.DoesNotContain(StoredAlerts(), a => a.Source == "internal");

        Assert.Equal(2, agent.Raised);
        Assert.Equal(["socket", "bind"], StoredAlerts().Select(Next));
    }

    private List<OutboxAlert> Internal(string rule) => [.. StoredAlerts().Where(a => a.Rule == rule)];

    [Fact]
    public async Task A_vm_whose_open_log_stops_growing_is_alerted_once_per_silence_and_a_log_that_ended_never()
    {
        await using var agent = new Running(_db, Spool, silentAfter: TimeSpan.FromSeconds(1));
        Append("web-02/ended.strace", Logs.NormalLines(110, 2) + "110   +++ exited with 0 +++\n");
        string open = Append("web-01/open.strace", Logs.NormalLines(100, 2));

        Eventually.True(() => Internal(AlertFactory.SilentVmRule).Count == 1, "web-01's silence");
        await agent.Settled(30);

        OutboxAlert silence = Assert.Single(Internal(AlertFactory.SilentVmRule));
        Assert.Equal("web-01", silence.Vm);
        Assert.Equal(open, silence.Log);
        Assert.Equal("Error", silence.Priority);
        Assert.StartsWith("the logs of vm web-01 stopped growing ", Reason(silence), StringComparison.Ordinal);
        Assert.EndsWith($"; silent_vm_after_s 1) while {open} has not reached its end (a thread in it has not exited): its tracing may have been stopped or its log suppressed",
            Reason(silence), StringComparison.Ordinal);
        Assert.Equal(1, agent.Watcher.Progress().Vms["web-01"].Silent ? 1 : 0);

        // It grows, then falls silent again: one more alert, a new silence.
        Append("web-01/open.strace", Logs.NormalLines(100, 1));
        Eventually.True(() => Internal(AlertFactory.SilentVmRule).Count == 2, "web-01's second silence");
        await agent.Settled(30);

        Assert.Equal(2, Internal(AlertFactory.SilentVmRule).Count);
        Assert.DoesNotContain(StoredAlerts(), a => a.Vm == "web-02");
        Assert.Equal(0, agent.Repeated);
    }

    [Fact]
    public async Task A_log_that_shrinks_with_no_copy_kept_is_alerted_naming_it()
    {
        await using var agent = new Running(_db, Spool);
        string log = Append("web-01/app.strace", Logs.NormalLines(120, 4));
        long size = new FileInfo(log).Length;
        Eventually.True(() => agent.Watcher.Progress().Lines == 12, "the log read");

        using (var file = new FileStream(log, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(40);
        }

        Eventually.True(() => Internal(AlertFactory.LogShrankRule).Count == 1, "the shrink alerted");
        await agent.Settled();

        OutboxAlert alert = Assert.Single(Internal(AlertFactory.LogShrankRule));
        Assert.Equal(("web-01", log, "Critical"), (alert.Vm, alert.Log, alert.Priority));
        Assert.Equal($"{log} shrank from {size} bytes read to 40 bytes before its program ended, and no copy of it was kept in {Spool}/web-01 as logrotate's copytruncate keeps one: lines of it were removed",
            Reason(alert));
    }

    [Fact]
    public async Task A_log_rewritten_from_its_start_while_read_with_no_copy_kept_is_alerted_naming_it()
    {
        await using var agent = new Running(_db, Spool);
        string log = Append("web-01/app.strace", Logs.NormalLines(130, 4));
        Eventually.True(() => agent.Watcher.Progress().Lines == 12, "the log read");

        // Written over from its start, never shorter: a log restarted in place.
        using (var file = new FileStream(log, FileMode.Open, FileAccess.Write))
        {
            file.Write(System.Text.Encoding.UTF8.GetBytes(Logs.NormalLines(131, 6)));
        }

        Eventually.True(() => Internal(AlertFactory.LogShrankRule).Count == 1, "the restart alerted");

        OutboxAlert alert = Assert.Single(Internal(AlertFactory.LogShrankRule));
        Assert.Equal(log, alert.Log);
        Assert.StartsWith($"{log} was rewritten from its start while it was read (", Reason(alert), StringComparison.Ordinal);
        Assert.EndsWith($"before its program ended), and no copy of it was kept in {Spool}/web-01 as a rotation keeps one: the lines read before are gone from it", Reason(alert), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_whole_log_detector_decides_when_the_log_ends_and_explains_its_alerts_by_calls()
    {
        await using var agent = new Running(_db, Spool, detector: "callset");
        Gzip(Path.Combine(Spool, "web-03", "clean.strace.gz"), Logs.NormalLines(800, 4));
        Gzip(Path.Combine(Spool, "web-03", "odd.strace.gz"), Logs.NormalLines(801, 2) + Logs.Injection(801));
        Eventually.True(() => agent.Raised == 1 && agent.Watcher.ActiveFiles == 0, "both logs read to their end");

        OutboxAlert alert = Assert.Single(StoredAlerts());
        Assert.EndsWith("odd.strace.gz", alert.Log, StringComparison.Ordinal);
        Assert.Equal("socket", Next(alert));
        using var json = System.Text.Json.JsonDocument.Parse(alert.Json);
        Assert.Equal("call not in the nearest normal run", json.RootElement.GetProperty("output_fields").GetProperty("reason").GetString());
        Assert.Equal("callset", json.RootElement.GetProperty("output_fields").GetProperty("detector").GetString());
        Assert.Contains("call socket (call not in the nearest normal run)", agent.Console.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_finished_gzip_log_is_read_and_the_compressed_copy_of_a_rotated_log_raises_nothing_twice()
    {
        var tail = new TailOptions { PollInterval = TimeSpan.FromMilliseconds(20), IdleTimeout = TimeSpan.FromMilliseconds(300), RotateGrace = TimeSpan.FromMilliseconds(100) };
        await using var agent = new Running(_db, Spool, tail);
        Gzip(Path.Combine(Spool, "web-02", "old.strace.gz"), Logs.NormalLines(700, 1) + "700   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4\n");
        string log = Append("web-02/app.strace", Logs.NormalLines(701, 1) + "701   bind(4, {sa_family=AF_INET}, 16) = 0\n");
        Eventually.True(() => agent.Raised == 2 && agent.Watcher.ActiveFiles == 0, "both logs read to their end");

        // logrotate with compress: rename, then gzip the renamed log and delete it.
        File.Move(log, log + ".1");
        Gzip(log + ".1.gz", await File.ReadAllTextAsync(log + ".1", TestContext.Current.CancellationToken));
        File.Delete(log + ".1");
        await agent.Settled();

        Assert.Equal(2, agent.Raised);
        Assert.Equal(0, agent.Repeated);
        Assert.Equal(["bind", "socket"], StoredAlerts().Select(Next).Order());
    }

    [Fact]
    public async Task Files_outside_a_vm_folder_and_hidden_files_are_not_read()
    {
        await using var agent = new Running(_db, Spool);
        Append("loose.strace", Logs.Injection(800));
        Append("web-01/.partial.strace", Logs.Injection(801));
        Append("web-01/.tmp/x.strace", Logs.Injection(802));
        Append("web-01/real.strace", Logs.Injection(803));
        Eventually.True(() => agent.Raised > 0, "the real log's alerts");
        await agent.Settled();

        Assert.All(StoredAlerts(), a => Assert.EndsWith("/web-01/real.strace", a.Log, StringComparison.Ordinal));
    }

    /// <summary>A file outside the spool, as a host file a VM would like read: a shadow line, and a log whose calls would alert.</summary>
    private (string Shadow, string Log) HostFiles()
    {
        string shadow = _dir.Write("host/shadow", "root:$6$SECRETHASH$xyz:19000:0:99999:7:::\n");
        string log = _dir.Write("host/other.strace", Logs.Injection(900));
        return (shadow, log);
    }

    private static string Reason(OutboxAlert alert) =>
        System.Text.Json.JsonDocument.Parse(alert.Json).RootElement.GetProperty("output_fields").GetProperty("reason").GetString()!;

    private List<WatchedFile> WatchedFiles()
    {
        using var store = SqliteFingerprintStore.Open(_db, createIfMissing: false);
        return [.. store.ListWatchedFiles()];
    }

    [Fact]
    public async Task A_link_in_a_vm_folder_to_a_file_outside_it_is_not_read_but_reported_in_the_log_status_and_an_alert()
    {
        var (shadow, outside) = HostFiles();
        Directory.CreateDirectory(Path.Combine(Spool, "web-01"));
        string shadowLink = Path.Combine(Spool, "web-01", "log");
        string logLink = Path.Combine(Spool, "web-01", "deep", "other.strace");
        Directory.CreateDirectory(Path.GetDirectoryName(logLink)!);
        File.CreateSymbolicLink(shadowLink, shadow);
        File.CreateSymbolicLink(logLink, "../../../host/other.strace");
        string real = Append("web-01/real.strace", Logs.Injection(803));

        await using var agent = new Running(_db, Spool);
        Eventually.True(() => StoredAlerts().Count(a => a.Source == "internal") == 2 && StoredAlerts().Any(a => a.Log == real), "the real log's alerts and two refusals");
        await agent.Settled();

        List<OutboxAlert> alerts = StoredAlerts();
        Assert.All(alerts.Where(a => a.Source == "syscall"), a => Assert.Equal(real, a.Log));
        Assert.DoesNotContain(alerts, a => a.Json.Contains("SECRETHASH", StringComparison.Ordinal));
        Assert.DoesNotContain("SECRETHASH", agent.Console.ToString(), StringComparison.Ordinal);
        string shadowReason = $"{shadowLink}: a symbolic link to {shadow}, outside its VM's folder {Path.Combine(Spool, "web-01")}; not followed (follow_symlinks in the agent's config, or --follow-symlinks, allows it)";
        Assert.Contains(alerts, a => a.Log == shadowLink && a.Rule == AlertFactory.UnreadableRule && Reason(a) == shadowReason);
        Assert.Contains(alerts, a => a.Log == logLink && Reason(a).StartsWith($"{logLink}: a symbolic link to {outside}, outside its VM's folder", StringComparison.Ordinal));
        WatchedFile row = Assert.Single(WatchedFiles(), f => f.Path == shadowLink);
        Assert.Equal(WatchedFileStates.Failed, row.State);
        Assert.Equal(shadowReason, row.Error);
        Assert.Equal(0, agent.Repeated);
    }

    [Fact]
    public async Task A_vm_folder_that_is_a_link_outside_the_spool_is_not_read()
    {
        var (_, outside) = HostFiles();
        Directory.CreateDirectory(Spool);
        string vmLink = Path.Combine(Spool, "evil");
        Directory.CreateSymbolicLink(vmLink, Path.GetDirectoryName(outside)!);
        string real = Append("web-01/real.strace", Logs.Injection(803));

        await using var agent = new Running(_db, Spool);
        Eventually.True(() => StoredAlerts().Any(a => a.Source == "internal") && StoredAlerts().Any(a => a.Log == real), "the real log's alerts and the refusal");
        await agent.Settled();

        List<OutboxAlert> alerts = StoredAlerts();
        Assert.All(alerts.Where(a => a.Source == "syscall"), a => Assert.Equal(real, a.Log));
        OutboxAlert refused = Assert.Single(alerts, a => a.Source == "internal");
        Assert.Equal(vmLink, refused.Log);
        Assert.StartsWith($"{vmLink}: a symbolic link to {Path.GetDirectoryName(outside)}, outside the spool {Spool}; not followed", Reason(refused), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_link_that_stays_inside_its_vm_folder_is_read()
    {
        string log = Append("web-01/run-1.strace", Logs.Injection(804));
        File.CreateSymbolicLink(Path.Combine(Spool, "web-01", "current"), "run-1.strace");

        await using var agent = new Running(_db, Spool);
        Eventually.True(() => agent.Raised == 2, "read → socket and socket → close");
        await agent.Settled();

        Assert.Equal(2, agent.Raised);
        Assert.DoesNotContain(StoredAlerts(), a => a.Source == "internal");
        Assert.Contains(StoredAlerts(), a => a.Log == log || a.Log == Path.Combine(Spool, "web-01", "current"));
    }

    [Fact]
    public async Task Follow_symlinks_reads_a_link_to_a_log_outside_the_spool()
    {
        var (_, outside) = HostFiles();
        Directory.CreateDirectory(Path.Combine(Spool, "web-01"));
        string link = Path.Combine(Spool, "web-01", "other.strace");
        File.CreateSymbolicLink(link, outside);

        await using var agent = new Running(_db, Spool, followSymlinks: true);
        Eventually.True(() => agent.Raised == 2, "the linked log's two alerts");

        Assert.All(StoredAlerts(), a => Assert.Equal(link, a.Log));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_folder_link_looping_back_in_a_vm_folder_neither_hangs_the_scan_nor_reads_a_log_twice(bool follow)
    {
        string log = Append("web-01/a/run.strace", Logs.Injection(805));
        Directory.CreateSymbolicLink(Path.Combine(Spool, "web-01", "a", "loop"), Path.Combine(Spool, "web-01"));

        await using var agent = new Running(_db, Spool, followSymlinks: follow);
        Eventually.True(() => agent.Raised == 2, "the log's two alerts");
        await agent.Settled();

        Assert.Equal(2, agent.Raised);
        Assert.All(StoredAlerts(), a => Assert.Equal(log, a.Log));
        Assert.Single(WatchedFiles());
    }

    [Fact]
    public void Glob_matches_stars_and_question_marks()
    {
        Assert.True(SpoolWatcher.Glob("*.tmp", "a.tmp"));
        Assert.True(SpoolWatcher.Glob(".*", ".hidden"));
        Assert.True(SpoolWatcher.Glob("a?c*", "abcdef"));
        Assert.False(SpoolWatcher.Glob("*.tmp", "a.tmpx"));
        Assert.False(SpoolWatcher.Glob(".*", "visible"));
    }

    private static void Gzip(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string partial = path + ".part.tmp";
        using (var file = File.Create(partial))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        File.Move(partial, path);
    }
}

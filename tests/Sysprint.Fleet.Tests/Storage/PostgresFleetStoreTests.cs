using Npgsql;
using Sysprint.Diagnostics;
using Sysprint.Fleet.Tests.Support;
using Sysprint.Storage.Postgres;

namespace Sysprint.Fleet.Tests.Storage;

/// <summary>The fleet tables on a real PostgreSQL: enrollment, credentials, heartbeats, alerts stored once.</summary>
public sealed class PostgresFleetStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset s_now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(30);

    private TestDatabase _db = null!;
    private PostgresFleetStore _store = null!;

    public async ValueTask InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _store = await PostgresFleetStore.OpenAsync(_db.Url, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        if (_db is not null)
        {
            await _db.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_host_enrolls_with_a_valid_secret_into_its_group_and_is_found_by_its_credential()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        string secret = FleetSecrets.New(FleetSecrets.EnrollPrefix);
        await _store.AddEnrollSecretAsync(FleetSecrets.Hash(secret), "web", s_now, s_now.AddHours(24), ct);
        string credential = FleetSecrets.New(FleetSecrets.CredentialPrefix);

        var (outcome, host) = await _store.EnrollAsync(FleetSecrets.Hash(secret), "dom0-1", FleetSecrets.Hash(credential), s_interval, s_now, ct);
        FleetHost? found = await _store.FindHostByCredentialAsync(FleetSecrets.Hash(credential), ct);
        FleetHost? other = await _store.FindHostByCredentialAsync(FleetSecrets.Hash(FleetSecrets.New(FleetSecrets.CredentialPrefix)), ct);

        Assert.Equal(EnrollOutcome.Enrolled, outcome);
        Assert.NotNull(host);
        Assert.NotNull(found);
        Assert.Equal(("dom0-1", "web", host.Id), (found.Name, found.Group, found.Id));
        Assert.Null(other);
    }

    [Fact]
    public async Task Secrets_and_credentials_are_stored_as_hashes_only()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        string secret = FleetSecrets.New(FleetSecrets.EnrollPrefix);
        string credential = FleetSecrets.New(FleetSecrets.CredentialPrefix);
        await _store.AddEnrollSecretAsync(FleetSecrets.Hash(secret), "default", s_now, null, ct);
        await _store.EnrollAsync(FleetSecrets.Hash(secret), "dom0-1", FleetSecrets.Hash(credential), s_interval, s_now, ct);

        string dump = await DumpAsync("SELECT encode(secret_hash, 'escape') || grp FROM fleet_enroll_secrets UNION ALL SELECT encode(credential_hash, 'escape') || name FROM fleet_hosts");

        Assert.DoesNotContain(secret[FleetSecrets.EnrollPrefix.Length..], dump, StringComparison.Ordinal);
        Assert.DoesNotContain(credential[FleetSecrets.CredentialPrefix.Length..], dump, StringComparison.Ordinal);
        Assert.Contains("dom0-1", dump, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_expired_or_revoked_secret_enrolls_nobody()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        string expired = FleetSecrets.New(FleetSecrets.EnrollPrefix);
        string revoked = FleetSecrets.New(FleetSecrets.EnrollPrefix);
        await _store.AddEnrollSecretAsync(FleetSecrets.Hash(expired), "default", s_now.AddDays(-2), s_now.AddDays(-1), ct);
        EnrollSecret toRevoke = await _store.AddEnrollSecretAsync(FleetSecrets.Hash(revoked), "default", s_now, null, ct);
        Assert.True(await _store.RevokeEnrollSecretAsync(toRevoke.Id, s_now, ct));

        var results = new List<EnrollOutcome>();
        foreach (string secret in new[] { FleetSecrets.New(FleetSecrets.EnrollPrefix), expired, revoked })
        {
            var (outcome, _) = await _store.EnrollAsync(FleetSecrets.Hash(secret), "dom0-1", FleetSecrets.Hash(FleetSecrets.New(FleetSecrets.CredentialPrefix)),
                s_interval, s_now, ct);
            results.Add(outcome);
        }

        Assert.Equal([EnrollOutcome.UnknownSecret, EnrollOutcome.Expired, EnrollOutcome.Revoked], results);
        Assert.Empty(await _store.ListHostsAsync(ct));
        Assert.False(await _store.RevokeEnrollSecretAsync(toRevoke.Id + 100, s_now, ct));
    }

    [Fact]
    public async Task Hosts_racing_for_one_name_leave_one_enrolled()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        string secret = FleetSecrets.New(FleetSecrets.EnrollPrefix);
        await _store.AddEnrollSecretAsync(FleetSecrets.Hash(secret), "default", s_now, null, ct);
        await using PostgresFleetStore second = await PostgresFleetStore.OpenAsync(_db.ConnectionString, ct);

        Task<(EnrollOutcome Outcome, FleetHost? Host)>[] racers = [.. Enumerable.Range(0, 8).Select(i =>
            (i % 2 == 0 ? _store : second).EnrollAsync(FleetSecrets.Hash(secret), "dom0-1", FleetSecrets.Hash(FleetSecrets.New(FleetSecrets.CredentialPrefix)),
                s_interval, s_now, ct))];
        var outcomes = await Task.WhenAll(racers);

        Assert.Equal(1, outcomes.Count(o => o.Outcome == EnrollOutcome.Enrolled));
        Assert.Equal(7, outcomes.Count(o => o.Outcome == EnrollOutcome.NameTaken));
        Assert.Single(await _store.ListHostsAsync(ct));
    }

    [Fact]
    public async Task An_alert_sent_again_is_stored_once_and_the_same_uuid_from_another_host_is_its_own()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        FleetHost a = await EnrollAsync("host-a");
        FleetHost b = await EnrollAsync("host-b");

        int first = await _store.AddAlertsAsync(a.Id, [Alerts.Upload(1), Alerts.Upload(2), Alerts.Upload(3)], s_now, ct);
        int again = await _store.AddAlertsAsync(a.Id, [Alerts.Upload(3), Alerts.Upload(2), Alerts.Upload(4), Alerts.Upload(4)], s_now, ct);
        int other = await _store.AddAlertsAsync(b.Id, [Alerts.Upload(1, "host-b")], s_now, ct);
        IReadOnlyList<FleetAlert> all = await _store.ListAlertsAsync(new FleetAlertQuery { Limit = 100 }, ct);
        IReadOnlyList<FleetAlert> ofB = await _store.ListAlertsAsync(new FleetAlertQuery { Host = "host-b" }, ct);

        Assert.Equal((3, 1, 1), (first, again, other));
        Assert.Equal(5, all.Count);
        Assert.Equal(["host-a:1", "host-a:2", "host-a:3", "host-a:4", "host-b:1"],
            all.Select(x => $"{x.Host}:{x.Uuid.ToString()[^1]}").Order(StringComparer.Ordinal));
        FleetAlert onlyB = Assert.Single(ofB);
        Assert.Equal(("host-b", Alerts.Upload(1).Uuid, "web-01", "/spool/web-01/1.strace", "default"), (onlyB.Host, onlyB.Uuid, onlyB.Vm, onlyB.Log, onlyB.Profile));
        Assert.Contains("\"hostname\": \"host-b\"", onlyB.Json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overlapping_batches_from_two_server_connections_at_once_store_each_alert_once()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        FleetHost a = await EnrollAsync("host-a");
        await using PostgresFleetStore second = await PostgresFleetStore.OpenAsync(_db.Url, ct);

        // 40 batches of 50 overlapping alerts (a retry racing its first attempt on another instance).
        Task<int>[] uploads = [.. Enumerable.Range(0, 40).Select(i =>
            (i % 2 == 0 ? _store : second).AddAlertsAsync(a.Id, [.. Enumerable.Range(i * 10, 50).Select(n => Alerts.Upload(n))], s_now, ct))];
        int[] added = await Task.WhenAll(uploads);

        Assert.Equal(440, added.Sum());
        Assert.Equal(440, (await _store.ListAlertsAsync(new FleetAlertQuery { Limit = 1000 }, ct)).Select(x => x.Uuid).Distinct().Count());
        Assert.Equal(440L, await ScalarAsync("SELECT count(*) FROM alerts"));
    }

    [Fact]
    public async Task Alerts_page_newest_first()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        FleetHost a = await EnrollAsync("host-a");
        for (int i = 0; i < 5; i++)
        {
            await _store.AddAlertsAsync(a.Id, [Alerts.Upload(i)], s_now, ct);
        }

        IReadOnlyList<FleetAlert> page1 = await _store.ListAlertsAsync(new FleetAlertQuery { Limit = 2 }, ct);
        IReadOnlyList<FleetAlert> page2 = await _store.ListAlertsAsync(new FleetAlertQuery { Limit = 2, BeforeSeq = page1[^1].Seq }, ct);
        IReadOnlyList<FleetAlert> page3 = await _store.ListAlertsAsync(new FleetAlertQuery { Limit = 2, BeforeSeq = page2[^1].Seq }, ct);

        Assert.Equal([Alerts.Upload(4).Uuid, Alerts.Upload(3).Uuid, Alerts.Upload(2).Uuid, Alerts.Upload(1).Uuid, Alerts.Upload(0).Uuid],
            page1.Concat(page2).Concat(page3).Select(x => x.Uuid));
    }

    [Fact]
    public async Task A_heartbeat_is_kept_with_the_host_and_decides_its_state()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        FleetHost a = await EnrollAsync("host-a");
        var beat = new FleetHeartbeat("1.2.3", 4096, 7, new Dictionary<string, long> { ["server"] = 2, ["jsonl:/var/log/a.jsonl"] = 0 }, "connection refused");

        await _store.RecordHeartbeatAsync(a.Id, beat, s_now, ct);
        FleetHost host = Assert.Single(await _store.ListHostsAsync(ct));

        Assert.Equal(s_now, host.LastSeen);
        Assert.NotNull(host.Heartbeat);
        Assert.Equal(("1.2.3", 4096L, 7L, "connection refused"), (host.Heartbeat.Version, host.Heartbeat.LagBytes, host.Heartbeat.Files, host.Heartbeat.LastError));
        Assert.Equal(2, host.Heartbeat.Pending["server"]);
        Assert.Equal(HostState.Lagging, host.StateAt(s_now.AddSeconds(1)));
        Assert.Equal(HostState.Silent, host.StateAt(s_now + (3.5 * s_interval)));
    }

    [Fact]
    public async Task A_revoked_host_stays_known_as_revoked()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        FleetHost a = await EnrollAsync("host-a");

        bool revoked = await _store.RevokeHostAsync("host-a", s_now, ct);
        bool unknown = await _store.RevokeHostAsync("host-z", s_now, ct);
        FleetHost? found = await _store.FindHostByCredentialAsync(_credentials[a.Name], ct);

        Assert.True(revoked);
        Assert.False(unknown);
        Assert.NotNull(found);
        Assert.Equal(HostState.Revoked, found.StateAt(s_now));
    }

    [Fact]
    public async Task Opening_an_existing_store_again_keeps_its_data_and_a_newer_schema_is_refused()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        await EnrollAsync("host-a");

        await using (PostgresFleetStore again = await PostgresFleetStore.OpenAsync(_db.Url, ct))
        {
            Assert.Single(await again.ListHostsAsync(ct));
        }

        await ScalarAsync("UPDATE sysprint_schema SET version = 99 WHERE part = 'fleet' RETURNING 0::bigint");
        var e = await Assert.ThrowsAsync<SysprintException>(() => PostgresFleetStore.OpenAsync(_db.Url, ct));

        Assert.Equal(ErrorKind.StoreUnavailable, e.Kind);
        Assert.Equal($"{_db.Url}: its fleet tables are at version 99, newer than this sysprint knows ({PostgresSchema.FleetVersion}); upgrade sysprint", e.Message);
    }

    [Fact]
    public async Task An_unreachable_server_is_a_store_error_naming_it()
    {
        var e = await Assert.ThrowsAsync<SysprintException>(() =>
            PostgresFleetStore.OpenAsync("postgres://nobody@127.0.0.1:1/none?connect_timeout=5", TestContext.Current.CancellationToken));

        Assert.Equal(ErrorKind.StoreUnavailable, e.Kind);
        Assert.StartsWith("postgres://nobody@127.0.0.1:1/none: cannot reach PostgreSQL: ", e.Message, StringComparison.Ordinal);
    }

    private readonly Dictionary<string, byte[]> _credentials = [];

    private async Task<FleetHost> EnrollAsync(string name)
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        string secret = FleetSecrets.New(FleetSecrets.EnrollPrefix);
        await _store.AddEnrollSecretAsync(FleetSecrets.Hash(secret), "default", s_now, null, ct);
        byte[] credential = FleetSecrets.Hash(FleetSecrets.New(FleetSecrets.CredentialPrefix));
        var (outcome, host) = await _store.EnrollAsync(FleetSecrets.Hash(secret), name, credential, s_interval, s_now, ct);
        Assert.Equal(EnrollOutcome.Enrolled, outcome);
        _credentials[name] = credential;
        return host!;
    }

    private async Task<string> DumpAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_db.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var text = new System.Text.StringBuilder();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            text.AppendLine(reader.GetString(0));
        }

        return text.ToString();
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_db.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}

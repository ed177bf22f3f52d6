using Npgsql;
using Sysprint.Fleet.Tests.Support;
using Sysprint.Storage;
using Sysprint.Storage.Postgres;

namespace Sysprint.Fleet.Tests.Storage;

/// <summary>A database of the first fleet release (fleet part 1: the hosts' alerts in fleet_alerts) upgraded in place.</summary>
public sealed class PostgresSchemaMigrationTests
{
    /// <summary>The fleet part's version 1 as it shipped (commit 5896d15), with one host and two alerts.</summary>
    private const string FleetVersion1 =
        """
        CREATE TABLE sysprint_schema (part text PRIMARY KEY, version integer NOT NULL);
        INSERT INTO sysprint_schema VALUES ('fleet', 1);
        CREATE TABLE fleet_enroll_secrets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, secret_hash bytea NOT NULL UNIQUE, grp text NOT NULL,
            created timestamptz NOT NULL, expires timestamptz, revoked timestamptz);
        CREATE TABLE fleet_hosts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE, grp text NOT NULL,
            credential_hash bytea NOT NULL UNIQUE, enrolled timestamptz NOT NULL, enrolled_with bigint NOT NULL REFERENCES fleet_enroll_secrets (id),
            revoked timestamptz, last_seen timestamptz, heartbeat_interval_s integer NOT NULL, heartbeats bigint NOT NULL DEFAULT 0, version text,
            lag_bytes bigint, files bigint, pending jsonb, last_error text);
        CREATE TABLE fleet_alerts (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, host_id bigint NOT NULL REFERENCES fleet_hosts (id),
            uuid uuid NOT NULL, time timestamptz NOT NULL, received timestamptz NOT NULL, rule text NOT NULL, priority text NOT NULL,
            source text NOT NULL, vm text, log text, profile text, output text NOT NULL, body jsonb NOT NULL, UNIQUE (host_id, uuid));
        CREATE INDEX fleet_alerts_host_seq ON fleet_alerts (host_id, seq DESC);
        INSERT INTO fleet_enroll_secrets (secret_hash, grp, created) VALUES ('\x01', 'web', '2026-12-01T00:00:00Z');
        INSERT INTO fleet_hosts (name, grp, credential_hash, enrolled, enrolled_with, heartbeat_interval_s) VALUES ('hv-1', 'web', '\x02', '2026-12-01T00:00:00Z', 1, 30);
        INSERT INTO fleet_alerts (host_id, uuid, time, received, rule, priority, source, vm, log, profile, output, body) VALUES
            (1, '0b8e4c1a-6f7e-8d2c-9a41-3c5d7e9f1a2b', '2026-12-01T10:00:00Z', '2026-12-01T10:00:01Z', 'Unknown system-call transition', 'Critical',
             'syscall', 'web-01', '/spool/web-01/a.strace', 'nginx', 'read -> socket in a.strace',
             '{"uuid":"0b8e4c1a-6f7e-8d2c-9a41-3c5d7e9f1a2b","source":"syscall","rule":"Unknown system-call transition","output_fields":{"log.line":4,"proc.pid":9783,"mismatch.prev":"read","mismatch.next":"socket","mismatch.count":1,"mismatch.window":"read socket","detector":"paper"}}'),
            (1, '1b8e4c1a-6f7e-8d2c-9a41-3c5d7e9f1a2b', '2026-12-01T11:00:00Z', '2026-12-01T11:00:01Z', 'Log unreadable', 'Warning',
             'internal', 'web-01', '/spool/web-01/b.strace', NULL, 'cannot read b.strace',
             '{"uuid":"1b8e4c1a-6f7e-8d2c-9a41-3c5d7e9f1a2b","source":"internal","rule":"Log unreadable","output_fields":{"reason":"permission denied"}}');
        """;

    [Fact]
    public async Task The_hosts_alerts_of_fleet_part_1_move_into_the_one_history_and_stay_listed()
    {
        await using TestDatabase db = await TestDatabase.CreateAsync();
        await using (var connection = new NpgsqlConnection(db.ConnectionString))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var old = new NpgsqlCommand(FleetVersion1, connection);
            await old.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        await using PostgresFleetStore fleet = await PostgresFleetStore.OpenAsync(db.Url, TestContext.Current.CancellationToken);
        IReadOnlyList<FleetAlert> central = await fleet.ListAlertsAsync(new FleetAlertQuery(), TestContext.Current.CancellationToken);
        using IFingerprintStore store = new PostgresBackend().Open(StoreAddress.Parse(db.Url), new StoreOpenOptions());
        IReadOnlyList<AlertEntry> history = store.ListAlerts(new AlertQuery());
        IReadOnlyDictionary<long, FleetSeen?[]> seen = ((IFleetView)store).FleetSeen([.. history.Select(a => a.Seq)], DateTimeOffset.Parse("2026-12-02T00:00:00Z"));

        Assert.Equal(["1b8e4c1a-6f7e-8d2c-9a41-3c5d7e9f1a2b hv-1 Log unreadable", "0b8e4c1a-6f7e-8d2c-9a41-3c5d7e9f1a2b hv-1 Unknown system-call transition"],
            central.Select(a => $"{a.Uuid} {a.Host} {a.Rule}"));
        Assert.Equal(2, history.Count);
        AlertEntry finding = history[1];
        Assert.Equal(("watch", "hv-1", "web-01", "/spool/web-01/a.strace", "nginx", "paper", null, 1L, "read -> socket in a.strace"),
            (finding.Source, finding.Host, finding.Vm, finding.Log, finding.Profile, finding.Detector, finding.Rule, finding.Mismatches, finding.Summary));
        Assert.Equal("""[{"line":4,"pid":9783,"prev":"read","next":"socket","count":1,"window":"read socket"}]""",
            System.Text.Json.JsonSerializer.Serialize(System.Text.Json.JsonDocument.Parse(finding.DetailsJson).RootElement));
        AlertEntry trouble = history[0];
        Assert.Equal(("Log unreadable", 0L, "[]"), (trouble.Rule, trouble.Mismatches, trouble.DetailsJson));
        Assert.Equal(0L, await ScalarAsync(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'fleet_alerts'"));
        // Fleet part 4 fills the fleet view from the history it finds: the finding's host, and the internal alert's without a transition.
        Assert.Equal([new FleetSeen(1, 1)], seen[finding.Seq]);
        Assert.False(seen.ContainsKey(trouble.Seq));
        Assert.Equal((long)PostgresSchema.FleetVersion, await ScalarAsync(db, "SELECT version::bigint FROM sysprint_schema WHERE part = 'fleet'"));
    }

    private static async Task<long> ScalarAsync(TestDatabase db, string sql)
    {
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}

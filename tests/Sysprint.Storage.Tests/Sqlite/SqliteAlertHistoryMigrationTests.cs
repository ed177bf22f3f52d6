using Sysprint.Storage.Sqlite;

namespace Sysprint.Storage.Tests.Sqlite;

/// <summary>Schema 3 -> 4: the check alerts and the agent's outbox alerts become one alert history.</summary>
public sealed class SqliteAlertHistoryMigrationTests : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_version_3_store_keeps_its_check_alerts_and_gains_the_agents_alerts_in_one_history()
    {
        using (SqliteFingerprintStore store = _temp.Open())
        {
            store.CreateProfile("cat", 2, "paper", 0);
        }

        // The alerts table exactly as schema 1 to 3 made it, with what a version 3 store held.
        _temp.Execute(
            """
            DROP TABLE alerts;
            CREATE TABLE alerts (
                id INTEGER PRIMARY KEY,
                check_id INTEGER NOT NULL REFERENCES checks (id),
                time TEXT NOT NULL,
                vm TEXT,
                log TEXT NOT NULL,
                profile TEXT NOT NULL,
                mismatches INTEGER NOT NULL,
                summary TEXT NOT NULL,
                details_json TEXT NOT NULL);
            CREATE INDEX alerts_time ON alerts (time);
            INSERT INTO checks (id, log, vm, profile, detector, verdict, syscalls, mismatches, score, summary, details_json, checked_at) VALUES
                (1, '/logs/cat-tampered.strace', 'web-01', 'cat', 'paper', 'anomalous', 57, 3, 3, '3 mismatches', '[{"line":4}]', '2026-11-26T01:33:14.0000000+00:00'),
                (2, 'run: cat /etc/hostname', NULL, 'cat', 'stide', 'anomalous', 40, 1, 1, '1 mismatch', '[]', '2026-11-26T01:40:00.0000000+00:00');
            INSERT INTO alerts (id, check_id, time, vm, log, profile, mismatches, summary, details_json) VALUES
                (1, 1, '2026-11-26T01:33:14.0000000+00:00', 'web-01', '/logs/cat-tampered.strace', 'cat', 3, '3 mismatches', '[{"line":4}]'),
                (2, 2, '2026-11-26T01:40:00.0000000+00:00', NULL, 'run: cat /etc/hostname', 'cat', 1, '1 mismatch', '[]');
            INSERT INTO agent_alerts (id, time, rule, priority, source, vm, log, json, text) VALUES
                ('5f0c8a4e-1d2b-8c3a-9e4f-0a1b2c3d4e5f', '2026-11-26T02:00:00.0000000+00:00', 'Unknown system-call transition', 'Critical', 'syscall',
                 'db-01', '/spool/db-01/a.strace',
                 '{"uuid":"5f0c8a4e-1d2b-8c3a-9e4f-0a1b2c3d4e5f","hostname":"dom0-a","output":"Unknown system-call transition close -> socket","output_fields":{"log.name":"/spool/db-01/a.strace","log.line":12,"vm.name":"db-01","proc.pid":77,"mismatch.prev":"close","mismatch.next":"socket","mismatch.count":2,"mismatch.window":"close socket","profile":"cat","detector":"paper"}}',
                 'text'),
                ('6a1d9b5f-2e3c-8d4b-af50-1b2c3d4e5f60', '2026-11-26T02:01:00.0000000+00:00', 'Sysprint could not check a log', 'Error', 'internal',
                 'db-01', '/spool/db-01/b.strace', '{"hostname":"dom0-a","output":"Sysprint could not check a log: unreadable"}', 'text'),
                ('7b2eac60-3f4d-8e5c-b061-2c3d4e5f6071', '2026-11-26T01:40:00.0000000+00:00', 'Unknown system-call transition', 'Critical', 'syscall',
                 NULL, 'run: cat /etc/hostname', '{"hostname":"dom0-a","output":"x"}', 'text');
            PRAGMA user_version = 3;
            """);

        using SqliteFingerprintStore upgraded = _temp.Open(createIfMissing: false);
        IReadOnlyList<AlertEntry> alerts = upgraded.ListAlerts(new AlertQuery());

        Assert.Equal((long)SqliteFingerprintStore.CurrentSchemaVersion, _temp.Scalar("PRAGMA user_version"));
        Assert.Equal(["internal", "watch", "run", "check"], alerts.Select(a => a.Rule is null ? a.Source : "internal"));
        AlertEntry watch = alerts[1];
        Assert.Equal(
            new AlertEntry(watch.Seq, "5f0c8a4e-1d2b-8c3a-9e4f-0a1b2c3d4e5f", new DateTimeOffset(2026, 11, 26, 2, 0, 0, TimeSpan.Zero), "watch", "dom0-a", "db-01",
                "/spool/db-01/a.strace", "cat", "paper", null, 1, "Unknown system-call transition close -> socket",
                """[{"line":12,"pid":77,"prev":"close","next":"socket","count":2,"window":"close socket"}]"""),
            watch);
        Assert.Equal(("Sysprint could not check a log", 0L, "watch"), (alerts[0].Rule, alerts[0].Mismatches, alerts[0].Source));
        AlertEntry check = alerts[3];
        Assert.Equal((1L, "web-01", "/logs/cat-tampered.strace", "paper", 3L, """[{"line":4}]"""), (check.Seq, check.Vm, check.Log, check.Detector, check.Mismatches, check.DetailsJson));
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", check.Id);
        Assert.Equal(("stide", (string?)null), (alerts[2].Detector, alerts[2].Host));
        Assert.Equal(4, upgraded.GetStats().Alerts);
    }
}

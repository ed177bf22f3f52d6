using System.Globalization;
using Microsoft.Data.Sqlite;
using Sysprint.Diagnostics;

namespace Sysprint.Storage.Sqlite;

/// <summary>
/// The store's tables and their migrations. The version lives in <c>PRAGMA user_version</c>
/// (0 for a new, empty file). To change the schema, append a step to <see cref="s_migrations"/>:
/// step <c>i</c> upgrades version <c>i</c> to <c>i + 1</c> and runs inside the same transaction as
/// the version bump, so an upgrade is all or nothing.
/// </summary>
/// <remarks>
/// The SQL stays within what PostgreSQL also accepts (<c>ON CONFLICT ... DO NOTHING</c>,
/// <c>RETURNING</c>, <c>LIMIT $n</c>); only DDL details differ (<c>INTEGER PRIMARY KEY</c> is an
/// identity column there, <c>WITHOUT ROWID</c> is dropped, <c>learnt</c> is a boolean).
/// </remarks>
internal static class SqliteSchema
{
    private static readonly string[] s_migrations =
    [
        // 0 -> 1. Times are ISO-8601 UTC text (StoreTime); grams are Fingerprint.FormatGram text.
        """
        CREATE TABLE meta (
            key TEXT NOT NULL PRIMARY KEY,
            value TEXT NOT NULL);
        CREATE TABLE names (
            name TEXT NOT NULL PRIMARY KEY,
            number INTEGER NOT NULL,
            learnt INTEGER NOT NULL);
        CREATE TABLE profiles (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            window_size INTEGER NOT NULL,
            detector TEXT NOT NULL,
            threshold REAL NOT NULL,
            created TEXT NOT NULL);
        CREATE TABLE logs (
            id INTEGER PRIMARY KEY,
            profile_id INTEGER NOT NULL REFERENCES profiles (id),
            path TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            syscalls INTEGER NOT NULL,
            new_transitions INTEGER NOT NULL,
            fingerprint_size INTEGER NOT NULL,
            learnt_at TEXT NOT NULL,
            UNIQUE (profile_id, sha256));
        CREATE TABLE grams (
            profile_id INTEGER NOT NULL REFERENCES profiles (id),
            gram TEXT NOT NULL,
            first_log_id INTEGER NOT NULL REFERENCES logs (id),
            PRIMARY KEY (profile_id, gram)) WITHOUT ROWID;
        CREATE TABLE checks (
            id INTEGER PRIMARY KEY,
            log TEXT NOT NULL,
            vm TEXT,
            profile TEXT NOT NULL,
            detector TEXT NOT NULL,
            verdict TEXT NOT NULL,
            syscalls INTEGER NOT NULL,
            mismatches INTEGER NOT NULL,
            score REAL NOT NULL,
            summary TEXT NOT NULL,
            details_json TEXT NOT NULL,
            checked_at TEXT NOT NULL);
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
        """,

        // 1 -> 2. The live agent (Sysprint.Agent): the alert outbox, one delivery row per
        // (alert, sink) until the sink took it; the watched files' progress; facts about the agent.
        // agent_alerts.id is the alert's deterministic id: a second insert of it does nothing.
        """
        CREATE TABLE agent_alerts (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            time TEXT NOT NULL,
            rule TEXT NOT NULL,
            priority TEXT NOT NULL,
            source TEXT NOT NULL,
            vm TEXT,
            log TEXT,
            json TEXT NOT NULL,
            text TEXT NOT NULL);
        CREATE TABLE agent_deliveries (
            sink TEXT NOT NULL,
            alert_seq INTEGER NOT NULL REFERENCES agent_alerts (seq),
            delivered_at TEXT,
            attempts INTEGER NOT NULL,
            last_error TEXT,
            last_attempt TEXT,
            PRIMARY KEY (sink, alert_seq)) WITHOUT ROWID;
        CREATE INDEX agent_deliveries_pending ON agent_deliveries (sink, alert_seq) WHERE delivered_at IS NULL;
        CREATE TABLE agent_files (
            id INTEGER PRIMARY KEY,
            file_key TEXT NOT NULL UNIQUE,
            vm TEXT NOT NULL,
            path TEXT NOT NULL,
            device INTEGER NOT NULL,
            inode INTEGER NOT NULL,
            head_length INTEGER NOT NULL,
            head_hash TEXT NOT NULL,
            bytes INTEGER NOT NULL,
            size INTEGER NOT NULL,
            lines INTEGER NOT NULL,
            syscalls INTEGER NOT NULL,
            alerts INTEGER NOT NULL,
            state TEXT NOT NULL,
            error TEXT,
            first_seen TEXT NOT NULL,
            updated TEXT NOT NULL);
        CREATE INDEX agent_files_inode ON agent_files (device, inode);
        CREATE TABLE agent_info (
            key TEXT NOT NULL PRIMARY KEY,
            value TEXT NOT NULL);
        """,

        // 2 -> 3. The window detectors' counts: for each log learnt from now on, its own windows of
        // 1 to 10 calls with how often each occurred and opened a thread (SubstringModel.ToBytes).
        // A profile's model is the sum of its logs'; a log without a row here (learnt before, or
        // imported) leaves the model incomplete, and the window detectors refuse it.
        """
        CREATE TABLE log_windows (
            log_id INTEGER NOT NULL PRIMARY KEY REFERENCES logs (id),
            windows BLOB NOT NULL);
        """,

        // 3 -> 4. One alert history: every alert, from check, run, attach or watch, in 'alerts',
        // each with a UUID (for the agent's alerts, the uuid its sinks received), its source, host
        // and detector. Alerts from before get a new random UUID and source 'check' ('run' or
        // 'attach' when their log is a traced command); the agent's earlier alerts (outbox rows
        // whose log no check recorded) enter the history as source 'watch'.
        """
        CREATE TABLE alerts_v4 (
            id INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL UNIQUE,
            check_id INTEGER REFERENCES checks (id),
            time TEXT NOT NULL,
            source TEXT NOT NULL,
            host TEXT,
            vm TEXT,
            log TEXT,
            profile TEXT,
            detector TEXT,
            rule TEXT,
            mismatches INTEGER NOT NULL,
            summary TEXT NOT NULL,
            details_json TEXT NOT NULL);
        INSERT INTO alerts_v4 (id, uuid, check_id, time, source, host, vm, log, profile, detector, rule, mismatches, summary, details_json)
        SELECT a.id,
            lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-'
                || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))),
            a.check_id, a.time,
            CASE WHEN a.log LIKE 'run: %' THEN 'run' WHEN a.log LIKE 'attach: %' THEN 'attach' ELSE 'check' END,
            NULL, a.vm, a.log, a.profile, c.detector, NULL, a.mismatches, a.summary, a.details_json
        FROM alerts a LEFT JOIN checks c ON c.id = a.check_id;
        INSERT INTO alerts_v4 (uuid, check_id, time, source, host, vm, log, profile, detector, rule, mismatches, summary, details_json)
        SELECT g.id, NULL, g.time, 'watch', json_extract(g.json, '$.hostname'), g.vm, g.log,
            json_extract(g.json, '$.output_fields.profile'), json_extract(g.json, '$.output_fields.detector'),
            CASE WHEN g.source = 'internal' THEN g.rule ELSE NULL END,
            CASE WHEN g.source = 'internal' THEN 0 ELSE 1 END,
            json_extract(g.json, '$.output'),
            CASE WHEN g.source = 'internal' THEN '[]' ELSE json_array(json_object(
                'line', json_extract(g.json, '$.output_fields."log.line"'),
                'pid', json_extract(g.json, '$.output_fields."proc.pid"'),
                'prev', json_extract(g.json, '$.output_fields."mismatch.prev"'),
                'next', json_extract(g.json, '$.output_fields."mismatch.next"'),
                'count', json_extract(g.json, '$.output_fields."mismatch.count"'),
                'window', json_extract(g.json, '$.output_fields."mismatch.window"'))) END
        FROM agent_alerts g
        WHERE g.log IS NULL OR g.log NOT IN (SELECT log FROM checks)
        ORDER BY g.seq;
        DROP TABLE alerts;
        ALTER TABLE alerts_v4 RENAME TO alerts;
        CREATE INDEX alerts_time ON alerts (time);
        """,
    ];

    /// <summary>The schema version this code writes.</summary>
    public static int CurrentVersion => s_migrations.Length;

    /// <summary>
    /// Rejects files that are not sysprint stores or are newer than this code, without writing.
    /// Returns the version found.
    /// </summary>
    public static int Check(SqliteConnection connection, string path)
    {
        int version;
        bool hasTables;

        // One snapshot: read apart, another process creating the schema could commit between the
        // two reads, and a version 0 with tables would call a new sysprint store a foreign one.
        using (SqliteTransaction snapshot = connection.BeginTransaction(deferred: true))
        {
            version = ReadVersion(connection, snapshot);
            hasTables = version == 0 && HasTables(connection, snapshot);
            snapshot.Commit();
        }

        if (version > CurrentVersion)
        {
            throw new SysprintException(ErrorKind.StoreUnavailable,
                $"{path}: store schema version {version} is newer than this sysprint ({CurrentVersion}): upgrade sysprint");
        }

        if (hasTables)
        {
            throw new SysprintException(ErrorKind.StoreUnavailable,
                $"{path}: not a sysprint store (an SQLite database with other tables)");
        }

        return version;
    }

    /// <summary>Brings the store to <see cref="CurrentVersion"/> in one write transaction.</summary>
    public static void Upgrade(SqliteConnection connection, string path)
    {
        using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);

        // Read again under the write lock: another process may have created the schema meanwhile.
        int version = ReadVersion(connection, transaction);
        if (version >= CurrentVersion)
        {
            transaction.Commit();
            Check(connection, path);
            return;
        }

        for (int step = version; step < CurrentVersion; step++)
        {
            Execute(connection, transaction, s_migrations[step]);
        }

        if (version == 0)
        {
            using SqliteCommand created = connection.CreateCommand();
            created.Transaction = transaction;
            created.CommandText = "INSERT INTO meta (key, value) VALUES ('created', $created)";
            created.Parameters.AddWithValue("$created", StoreTime.Format(DateTimeOffset.UtcNow));
            created.ExecuteNonQuery();
        }

        // PRAGMA takes no parameters; the value is our own constant.
        Execute(connection, transaction, "PRAGMA user_version = " + CurrentVersion.ToString(CultureInfo.InvariantCulture));
        transaction.Commit();
    }

    private static int ReadVersion(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static bool HasTables(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) > 0;
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

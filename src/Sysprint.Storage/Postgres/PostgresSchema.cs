using System.Globalization;
using Npgsql;
using Sysprint.Diagnostics;

namespace Sysprint.Storage.Postgres;

/// <summary>
/// The PostgreSQL schema, versioned per part in <c>sysprint_schema</c> and migrated at start:
/// <c>store</c> (the fingerprint store and the one alert history) and <c>fleet</c> (enrollment,
/// hosts; its version 1 kept the hosts' alerts apart, in fleet_alerts). Every opener migrates every part, in that order, in one transaction under an advisory
/// lock, so several processes starting at once migrate once; a store whose part is newer than this
/// build knows is refused, never written to.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>The advisory lock key of migrations ("SYSPRINT" in ASCII).</summary>
    private const long MigrationLock = 0x5359535052494E54;

    /// <summary>
    /// Migration <c>i</c> takes the store part from version <c>i</c> to <c>i + 1</c>. Times are
    /// <c>timestamptz</c>; grams are <see cref="Model.Fingerprint.FormatGram"/> text as in SQLite;
    /// <c>store_revision</c> counts every change to what agents receive (mapping, profiles,
    /// fingerprints, settings such as seals), the ETag of <c>serve</c>'s profile feed.
    /// </summary>
    private static readonly string[] s_store =
    [
        """
        CREATE TABLE store_meta (
            key   text PRIMARY KEY,
            value text NOT NULL
        );
        CREATE TABLE store_revision (
            id       integer PRIMARY KEY CHECK (id = 1),
            revision bigint NOT NULL
        );
        INSERT INTO store_revision (id, revision) VALUES (1, 0);
        CREATE TABLE store_settings (
            key   text PRIMARY KEY,
            value text NOT NULL
        );
        CREATE TABLE names (
            name   text PRIMARY KEY,
            number integer NOT NULL,
            learnt boolean NOT NULL
        );
        CREATE TABLE profiles (
            id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name        text NOT NULL UNIQUE,
            window_size integer NOT NULL,
            detector    text NOT NULL,
            threshold   double precision NOT NULL,
            created     timestamptz NOT NULL
        );
        CREATE TABLE logs (
            id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            profile_id       bigint NOT NULL REFERENCES profiles (id),
            path             text NOT NULL,
            size             bigint NOT NULL,
            sha256           text NOT NULL,
            syscalls         bigint NOT NULL,
            new_transitions  integer NOT NULL,
            fingerprint_size integer NOT NULL,
            learnt_at        timestamptz NOT NULL,
            windows          bytea,
            UNIQUE (profile_id, sha256)
        );
        CREATE TABLE grams (
            profile_id   bigint NOT NULL REFERENCES profiles (id),
            gram         text NOT NULL,
            first_log_id bigint NOT NULL REFERENCES logs (id),
            PRIMARY KEY (profile_id, gram)
        );
        CREATE TABLE checks (
            id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            log          text NOT NULL,
            vm           text,
            host         text,
            profile      text NOT NULL,
            detector     text NOT NULL,
            verdict      text NOT NULL,
            syscalls     bigint NOT NULL,
            mismatches   bigint NOT NULL,
            score        double precision NOT NULL,
            summary      text NOT NULL,
            details_json text NOT NULL,
            checked_at   timestamptz NOT NULL
        );
        CREATE TABLE alerts (
            seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            uuid         text NOT NULL,
            host         text,
            host_id      bigint,
            check_id     bigint REFERENCES checks (id),
            time         timestamptz NOT NULL,
            received     timestamptz NOT NULL DEFAULT now(),
            source       text NOT NULL,
            vm           text,
            log          text,
            profile      text,
            detector     text,
            rule         text,
            priority     text,
            mismatches   bigint NOT NULL,
            summary      text NOT NULL,
            details_json text NOT NULL,
            body         jsonb,
            UNIQUE NULLS NOT DISTINCT (host, uuid)
        );
        CREATE INDEX alerts_time ON alerts (time DESC, seq DESC);
        CREATE INDEX alerts_host ON alerts (host, seq DESC);
        """,

        // 1 -> 2: the binary a run or attach traced (issue 13 item 6): its program, path and
        // SHA-256 on every check (normal or not, so `hosts --binaries` knows each host's binary),
        // and on the alert.
        """
        ALTER TABLE checks
            ADD COLUMN program       text,
            ADD COLUMN binary_path   text,
            ADD COLUMN binary_sha256 text;
        ALTER TABLE alerts
            ADD COLUMN binary_path   text,
            ADD COLUMN binary_sha256 text;
        CREATE INDEX checks_program_host ON checks (program, host, id DESC) WHERE binary_sha256 IS NOT NULL;
        """,
    ];

    /// <summary>Migration <c>i</c> takes the fleet part from version <c>i</c> to <c>i + 1</c>.</summary>
    private static readonly string[] s_fleet =
    [
        """
        CREATE TABLE fleet_enroll_secrets (
            id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            secret_hash bytea NOT NULL UNIQUE,
            grp         text NOT NULL,
            created     timestamptz NOT NULL,
            expires     timestamptz,
            revoked     timestamptz
        );
        CREATE TABLE fleet_hosts (
            id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name                 text NOT NULL UNIQUE,
            grp                  text NOT NULL,
            credential_hash      bytea NOT NULL UNIQUE,
            enrolled             timestamptz NOT NULL,
            enrolled_with        bigint NOT NULL REFERENCES fleet_enroll_secrets (id),
            revoked              timestamptz,
            last_seen            timestamptz,
            heartbeat_interval_s integer NOT NULL,
            heartbeats           bigint NOT NULL DEFAULT 0,
            version              text,
            lag_bytes            bigint,
            files                bigint,
            pending              jsonb,
            last_error           text
        );
        CREATE TABLE fleet_alerts (
            seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            host_id  bigint NOT NULL REFERENCES fleet_hosts (id),
            uuid     uuid NOT NULL,
            time     timestamptz NOT NULL,
            received timestamptz NOT NULL,
            rule     text NOT NULL,
            priority text NOT NULL,
            source   text NOT NULL,
            vm       text,
            log      text,
            profile  text,
            output   text NOT NULL,
            body     jsonb NOT NULL,
            UNIQUE (host_id, uuid)
        );
        CREATE INDEX fleet_alerts_host_seq ON fleet_alerts (host_id, seq DESC);
        """,

        // 1 -> 2. One alert history: the hosts' alerts move into the store part's 'alerts' (with
        // check, run and attach alerts), keyed by host name and uuid, their body kept whole.
        $"""
        INSERT INTO alerts (uuid, host, host_id, time, received, source, vm, log, profile, detector, rule, priority, mismatches, summary, details_json, body)
        SELECT f.uuid::text, h.name, f.host_id, f.time, f.received, 'watch', f.vm, f.log, f.profile,
            {FleetAlertHistory.Detector}, {FleetAlertHistory.Rule}, f.priority, {FleetAlertHistory.Mismatches}, f.output, {FleetAlertHistory.Details}, b
        FROM fleet_alerts f JOIN fleet_hosts h ON h.id = f.host_id, LATERAL (SELECT f.body AS b) j
        ORDER BY f.seq
        ON CONFLICT (host, uuid) DO NOTHING;
        DROP TABLE fleet_alerts;
        """,

        // 2 -> 3: the administrator's console. Each alert's status (new, acknowledged, dismissed
        // as normal) with who set it and when; the program and mismatching window the agent put in
        // output_fields, as columns the database computes from the body (ingestion is unchanged);
        // and the audit log of changes made from the console.
        """
        ALTER TABLE alerts
            ADD COLUMN status      text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'acknowledged', 'dismissed')),
            ADD COLUMN status_note text,
            ADD COLUMN status_by   text,
            ADD COLUMN status_at   timestamptz,
            ADD COLUMN program     text GENERATED ALWAYS AS (body -> 'output_fields' ->> 'program') STORED,
            ADD COLUMN win         text GENERATED ALWAYS AS (body -> 'output_fields' ->> 'mismatch.window') STORED;
        CREATE INDEX alerts_status_seq ON alerts (status, seq DESC);
        CREATE INDEX alerts_profile_win ON alerts (profile, win);
        CREATE TABLE fleet_console_changes (
            id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            time      timestamptz NOT NULL,
            actor     text NOT NULL,
            action    text NOT NULL,
            profile   text,
            alert_seq bigint REFERENCES alerts (seq),
            detail    text NOT NULL
        );
        CREATE INDEX fleet_console_changes_profile ON fleet_console_changes (profile, id DESC);
        """,

        // 3 -> 4: the fleet view of a mismatch (FleetSeenSql): which hosts alerted on which
        // transition under which profile, and when last, kept by a trigger on every insert into
        // alerts (check, run, attach and the hosts' alerts alike) and filled from the history.
        FleetSeenSql.Migration,

        // 4 -> 5: hosts that recorded only checks (a normal run, a clean check) count in M too.
        FleetSeenSql.MigrationV5,

        // 5 -> 6: the console shows every alert of the history, those check, run and attach
        // recorded centrally too. An alert that no agent sent has no Falco body: this gives it one
        // in the agent's shape, its first mismatch in output_fields (as the agent's one mismatch
        // per alert), every mismatch in details, the traced binary when known.
        """
        CREATE FUNCTION sysprint_alert_body(a alerts) RETURNS jsonb LANGUAGE sql STABLE AS $f$
            SELECT COALESCE(a.body, jsonb_build_object(
                'uuid', a.uuid,
                'time', to_char(a.time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                'rule', CASE WHEN a.mismatches > 0 THEN 'Unknown system-call transition' ELSE COALESCE(a.rule, a.source) END,
                'priority', COALESCE(a.priority, 'Critical'),
                'source', a.source,
                'hostname', a.host,
                'output', a.summary,
                'details', CASE WHEN jsonb_typeof(a.details_json::jsonb) = 'array' THEN a.details_json::jsonb ELSE '[]'::jsonb END,
                'output_fields', jsonb_strip_nulls(jsonb_build_object(
                    'log.name', a.log, 'vm.name', a.vm, 'profile', a.profile, 'detector', a.detector,
                    'program', (SELECT c.program FROM checks c WHERE c.id = a.check_id),
                    'log.line', d.m -> 'line', 'proc.pid', d.m -> 'pid', 'mismatch.prev', d.m -> 'prev', 'mismatch.next', d.m -> 'next',
                    'mismatch.count', d.m -> 'count', 'reason', d.m -> 'reason',
                    'mismatch.window', CASE
                        WHEN d.m IS NULL THEN NULL
                        WHEN jsonb_typeof(d.m -> 'window') = 'array'
                            THEN (SELECT string_agg(w.call, ' ' ORDER BY w.i) FROM jsonb_array_elements_text(d.m -> 'window') WITH ORDINALITY AS w (call, i))
                        WHEN jsonb_typeof(d.m -> 'window') = 'string' THEN d.m ->> 'window'
                        ELSE concat_ws(' ', d.m ->> 'prev', d.m ->> 'next') END,
                    'proc.exepath', a.binary_path, 'proc.exe.sha256', a.binary_sha256))))
            FROM (SELECT (SELECT m FROM sysprint_mismatches(a.details_json) AS e (m) LIMIT 1) AS m) d
        $f$;
        """,

        // 6 -> 7: the VMs each host's agent checks and their last checks, as its latest heartbeat
        // said (at most 100, the newest checked; vms_total counts them all). Null from an agent
        // that sends none.
        """
        ALTER TABLE fleet_hosts
            ADD COLUMN vms       jsonb,
            ADD COLUMN vms_total bigint;
        """,

        // 7 -> 8: learning across the fleet (profile --learn-from-fleet). A window per group and
        // profile (one at a time until learnt); each log a host uploads is staged once per window
        // by its content's SHA-256 (grams and window counts only, never the log), and learnt into
        // the profile by whoever claims the window once it closed.
        """
        CREATE TABLE fleet_learning_windows (
            id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            grp             text NOT NULL,
            profile         text NOT NULL,
            opened          timestamptz NOT NULL,
            closes          timestamptz NOT NULL,
            closed          timestamptz,
            claimed         timestamptz,
            learnt          timestamptz,
            learnt_logs     integer,
            new_transitions integer
        );
        CREATE UNIQUE INDEX fleet_learning_windows_one ON fleet_learning_windows (grp, profile) WHERE learnt IS NULL;
        CREATE TABLE fleet_learning_logs (
            window_id bigint NOT NULL REFERENCES fleet_learning_windows (id),
            sha256    text NOT NULL,
            host_id   bigint NOT NULL REFERENCES fleet_hosts (id),
            vm        text NOT NULL,
            log       text NOT NULL,
            syscalls  bigint NOT NULL,
            grams     text[] NOT NULL,
            windows   bytea,
            received  timestamptz NOT NULL,
            PRIMARY KEY (window_id, sha256)
        );
        CREATE INDEX fleet_learning_logs_host ON fleet_learning_logs (window_id, host_id);
        """,

        // 8 -> 9: profiles per group (profile --groups). A profile without a row goes to every
        // group (as every profile did before); a row names its groups, possibly none. By name, so
        // that it outlives import --replace (the profile deleted and created again).
        """
        CREATE TABLE fleet_profile_groups (
            profile text PRIMARY KEY,
            groups  text[] NOT NULL
        );
        """,

        // 9 -> 10: hosts --binaries reads the binaries the hosts' agents named in their alerts
        // (run and attach against a host's local store send them through serve) beside the checks.
        """
        CREATE INDEX alerts_program_host ON alerts (program, host, time DESC) WHERE binary_sha256 IS NOT NULL AND host_id IS NOT NULL;
        """,
    ];

    /// <summary>The parts in the order they migrate (a later part may use an earlier part's tables).</summary>
    private static readonly (string Name, string[] Migrations)[] s_parts = [("store", s_store), ("fleet", s_fleet)];

    /// <summary>The store part's version this build writes.</summary>
    public static int StoreVersion => s_store.Length;

    /// <summary>The fleet part's version this build writes.</summary>
    public static int FleetVersion => s_fleet.Length;

    /// <summary>Creates or upgrades every part's tables.</summary>
    /// <exception cref="SysprintException">A part is newer than this build (74).</exception>
    public static async Task MigrateAsync(NpgsqlDataSource source, string location, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

        // Most opens find every part current: read the versions first and take no lock then.
        if (await CurrentAsync(connection, location, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue("key", MigrationLock);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var create = new NpgsqlCommand(
            "CREATE TABLE IF NOT EXISTS sysprint_schema (part text PRIMARY KEY, version integer NOT NULL)", connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach ((string part, string[] migrations) in s_parts)
        {
            int version;
            await using (var read = new NpgsqlCommand("SELECT version FROM sysprint_schema WHERE part = @part", connection, transaction))
            {
                read.Parameters.AddWithValue("part", part);
                version = await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int v ? v : 0;
            }

            ThrowIfNewer(location, part, version, migrations.Length);
            for (int i = version; i < migrations.Length; i++)
            {
                await using var migrate = new NpgsqlCommand(migrations[i], connection, transaction);
                await migrate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            if (version < migrations.Length)
            {
                await using var record = new NpgsqlCommand(
                    "INSERT INTO sysprint_schema (part, version) VALUES (@part, @version) ON CONFLICT (part) DO UPDATE SET version = excluded.version",
                    connection, transaction);
                record.Parameters.AddWithValue("part", part);
                record.Parameters.AddWithValue("version", migrations.Length);
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>True when every part is at this build's version; throws when one is newer.</summary>
    private static async Task<bool> CurrentAsync(NpgsqlConnection connection, string location, CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlCommand("SELECT part, version FROM sysprint_schema", connection);
        var found = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            await using NpgsqlDataReader reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                found[reader.GetString(0)] = reader.GetInt32(1);
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return false;
        }

        bool current = true;
        foreach ((string part, string[] migrations) in s_parts)
        {
            int version = found.GetValueOrDefault(part);
            ThrowIfNewer(location, part, version, migrations.Length);
            current &= version == migrations.Length;
        }

        return current;
    }

    private static void ThrowIfNewer(string location, string part, int version, int known)
    {
        if (version > known)
        {
            throw new SysprintException(ErrorKind.StoreUnavailable, string.Create(CultureInfo.InvariantCulture,
                $"{location}: its {part} tables are at version {version}, newer than this sysprint knows ({known}); upgrade sysprint"));
        }
    }
}

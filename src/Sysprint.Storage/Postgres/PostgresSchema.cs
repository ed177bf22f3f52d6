using System.Globalization;
using Npgsql;
using Sysprint.Diagnostics;

namespace Sysprint.Storage.Postgres;

/// <summary>
/// The PostgreSQL schema, versioned per part (<c>fleet</c> now; the fingerprint store's tables
/// will be a second part) in <c>sysprint_schema</c> and migrated at start. Migrations run in one
/// transaction under an advisory lock, so several <c>serve</c> instances starting at once migrate
/// once; a store whose part is newer than this build knows is refused, never written to.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>The advisory lock key of migrations ("SYSPRINT" in ASCII).</summary>
    private const long MigrationLock = 0x5359535052494E54;

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
    ];

    /// <summary>The fleet part's version this build writes.</summary>
    public static int FleetVersion => s_fleet.Length;

    /// <summary>Creates or upgrades the fleet tables.</summary>
    /// <exception cref="SysprintException">The store's fleet part is newer than this build (74).</exception>
    public static async Task MigrateFleetAsync(NpgsqlDataSource source, string location, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
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

        int version;
        await using (var read = new NpgsqlCommand("SELECT version FROM sysprint_schema WHERE part = @part", connection, transaction))
        {
            read.Parameters.AddWithValue("part", "fleet");
            version = await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int v ? v : 0;
        }

        if (version > FleetVersion)
        {
            throw new SysprintException(ExitCodes.StoreUnavailable, string.Create(CultureInfo.InvariantCulture,
                $"{location}: its fleet tables are at version {version}, newer than this sysprint knows ({FleetVersion}); upgrade sysprint"));
        }

        for (int i = version; i < FleetVersion; i++)
        {
            await using var migrate = new NpgsqlCommand(s_fleet[i], connection, transaction);
            await migrate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (version < FleetVersion)
        {
            await using var record = new NpgsqlCommand(
                "INSERT INTO sysprint_schema (part, version) VALUES (@part, @version) ON CONFLICT (part) DO UPDATE SET version = excluded.version",
                connection, transaction);
            record.Parameters.AddWithValue("part", "fleet");
            record.Parameters.AddWithValue("version", FleetVersion);
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}

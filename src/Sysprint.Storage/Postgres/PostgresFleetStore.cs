using System.Data.Common;
using System.Net.Sockets;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Sysprint.Diagnostics;
using Sysprint.Fleet;

namespace Sysprint.Storage.Postgres;

/// <summary>
/// The fleet's tables on PostgreSQL (<see cref="IFleetStore"/>). Holds a pooled
/// <see cref="NpgsqlDataSource"/> and nothing else, so any number of instances, in any number of
/// processes, share one database. Every statement takes its values as parameters.
/// </summary>
public sealed partial class PostgresFleetStore : IFleetStore
{
    private const string HostColumns =
        "h.id, h.name, h.grp, h.enrolled, h.revoked, h.last_seen, h.heartbeat_interval_s, h.version, h.lag_bytes, h.files, h.pending, h.last_error, h.vms_total";

    private readonly NpgsqlDataSource _source;
    private readonly RevisionWatcher _revisions;

    private PostgresFleetStore(NpgsqlDataSource source, string location)
    {
        _source = source;
        Location = location;
        Fingerprints = PostgresFingerprintStore.Over(source, location);
        _revisions = new RevisionWatcher(source);
    }

    public string Location { get; }

    /// <summary>This store: its console tables sit beside the fleet's.</summary>
    public IConsoleStore? Console => this;

    /// <inheritdoc/>
    /// <remarks>Over this store's connection pool; thread-safe.</remarks>
    public IFingerprintStore Fingerprints { get; }

    /// <inheritdoc/>
    /// <remarks>Woken by PostgreSQL's notification of each committed change (<see cref="RevisionWatcher"/>), not by polling per request.</remarks>
    public Task<long> WaitForProfilesAsync(long? known, TimeSpan timeout, CancellationToken cancellationToken) =>
        Run(() => _revisions.WaitAsync(known, timeout, cancellationToken));

    /// <inheritdoc/>
    public Task<long> ReadRevisionAsync(CancellationToken cancellationToken) => Run(() => RevisionWatcher.ReadAsync(_source, cancellationToken));

    /// <summary>Connects to <paramref name="db"/> (a URL or connection string) and creates or migrates the fleet tables.</summary>
    /// <exception cref="SysprintException">Unreachable, refused, or newer than this build (74); a malformed address (64).</exception>
    public static async Task<PostgresFleetStore> OpenAsync(string db, CancellationToken cancellationToken)
    {
        NpgsqlConnectionStringBuilder settings = PostgresLocation.Parse(db);
        string location = PostgresLocation.Describe(settings);
        settings.ApplicationName ??= "sysprint";
        NpgsqlDataSource source = NpgsqlDataSource.Create(settings);
        var store = new PostgresFleetStore(source, location);
        try
        {
            await store.Run(async () =>
            {
                await PostgresSchema.MigrateAsync(source, location, cancellationToken).ConfigureAwait(false);
                return 0;
            }).ConfigureAwait(false);
            return store;
        }
        catch
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public Task<EnrollSecret> AddEnrollSecretAsync(byte[] secretHash, string group, DateTimeOffset created, DateTimeOffset? expires, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            await using NpgsqlCommand command = _source.CreateCommand(
                "INSERT INTO fleet_enroll_secrets (secret_hash, grp, created, expires) VALUES (@hash, @grp, @created, @expires) RETURNING id");
            command.Parameters.AddWithValue("hash", secretHash);
            command.Parameters.AddWithValue("grp", group);
            command.Parameters.AddWithValue("created", created.ToUniversalTime());
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("expires", NpgsqlDbType.TimestampTz) { TypedValue = expires?.ToUniversalTime() });
            long id = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            return new EnrollSecret(id, group, created, expires, null);
        });

    public Task<IReadOnlyList<EnrollSecret>> ListEnrollSecretsAsync(CancellationToken cancellationToken) =>
        Run<IReadOnlyList<EnrollSecret>>(async () =>
        {
            await using NpgsqlCommand command = _source.CreateCommand("SELECT id, grp, created, expires, revoked FROM fleet_enroll_secrets ORDER BY id DESC");
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var secrets = new List<EnrollSecret>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                secrets.Add(new EnrollSecret(reader.GetInt64(0), reader.GetString(1), Time(reader, 2)!.Value, Time(reader, 3), Time(reader, 4)));
            }

            return secrets;
        });

    public Task<bool> RevokeEnrollSecretAsync(long id, DateTimeOffset time, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            await using NpgsqlCommand command = _source.CreateCommand(
                "UPDATE fleet_enroll_secrets SET revoked = COALESCE(revoked, @time) WHERE id = @id");
            command.Parameters.AddWithValue("id", id);
            command.Parameters.AddWithValue("time", time.ToUniversalTime());
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        });

    public Task<(EnrollOutcome Outcome, FleetHost? Host)> EnrollAsync(byte[] secretHash, string hostName, byte[] credentialHash, TimeSpan heartbeatInterval,
        DateTimeOffset now, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            await using NpgsqlConnection connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            long secretId;
            string group;
            await using (var find = new NpgsqlCommand(
                "SELECT id, grp, expires, revoked FROM fleet_enroll_secrets WHERE secret_hash = @hash", connection, transaction))
            {
                find.Parameters.AddWithValue("hash", secretHash);
                await using NpgsqlDataReader reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return (EnrollOutcome.UnknownSecret, (FleetHost?)null);
                }

                secretId = reader.GetInt64(0);
                group = reader.GetString(1);
                if (Time(reader, 3) is not null)
                {
                    return (EnrollOutcome.Revoked, null);
                }

                if (Time(reader, 2) is { } expires && expires <= now)
                {
                    return (EnrollOutcome.Expired, null);
                }
            }

            await using var insert = new NpgsqlCommand(
                """
                INSERT INTO fleet_hosts (name, grp, credential_hash, enrolled, enrolled_with, heartbeat_interval_s)
                VALUES (@name, @grp, @credential, @now, @secret, @interval)
                ON CONFLICT (name) DO NOTHING
                RETURNING id
                """, connection, transaction);
            insert.Parameters.AddWithValue("name", hostName);
            insert.Parameters.AddWithValue("grp", group);
            insert.Parameters.AddWithValue("credential", credentialHash);
            insert.Parameters.AddWithValue("now", now.ToUniversalTime());
            insert.Parameters.AddWithValue("secret", secretId);
            insert.Parameters.AddWithValue("interval", (int)heartbeatInterval.TotalSeconds);
            if (await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not long id)
            {
                return (EnrollOutcome.NameTaken, null);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return (EnrollOutcome.Enrolled, new FleetHost(id, hostName, group, now, null, null, heartbeatInterval, null));
        });

    public Task<FleetHost?> FindHostByCredentialAsync(byte[] credentialHash, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            await using NpgsqlCommand command = _source.CreateCommand($"SELECT {HostColumns} FROM fleet_hosts h WHERE h.credential_hash = @hash");
            command.Parameters.AddWithValue("hash", credentialHash);
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadHost(reader) : null;
        });

    public Task RecordHeartbeatAsync(long hostId, FleetHeartbeat heartbeat, DateTimeOffset now, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            await using NpgsqlCommand command = _source.CreateCommand(
                """
                UPDATE fleet_hosts
                SET last_seen = GREATEST(COALESCE(last_seen, @now), @now), heartbeats = heartbeats + 1,
                    version = @version, lag_bytes = @lag, files = @files, pending = @pending, last_error = @error,
                    vms = @vms, vms_total = @vms_total
                WHERE id = @id
                """);
            command.Parameters.AddWithValue("id", hostId);
            command.Parameters.AddWithValue("now", now.ToUniversalTime());
            command.Parameters.AddWithValue("version", heartbeat.Version);
            command.Parameters.AddWithValue("lag", heartbeat.LagBytes);
            command.Parameters.AddWithValue("files", heartbeat.Files);
            command.Parameters.AddWithValue("pending", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(heartbeat.Pending, PostgresJson.Default.IReadOnlyDictionaryStringInt64));
            command.Parameters.Add(new NpgsqlParameter<string?>("error", NpgsqlDbType.Text) { TypedValue = heartbeat.LastError });
            command.Parameters.Add(new NpgsqlParameter<string?>("vms", NpgsqlDbType.Jsonb)
            {
                TypedValue = heartbeat.Vms is { } vms ? FleetJson.ToText(json =>
                {
                    json.WriteStartObject();
                    FleetJson.WriteVms(json, vms);
                    json.WriteEndObject();
                }) : null,
            });
            command.Parameters.Add(new NpgsqlParameter<long?>("vms_total", NpgsqlDbType.Bigint) { TypedValue = heartbeat.VmsTotal });
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        });

    public Task<int> AddAlertsAsync(long hostId, IReadOnlyList<AlertUpload> alerts, DateTimeOffset received, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            ArgumentNullException.ThrowIfNull(alerts);
            if (alerts.Count == 0)
            {
                return 0;
            }

            // One statement for the whole batch: the columns go as arrays and are unnested. The
            // alerts are ordered by uuid so that two batches overlapping (a retry racing its first
            // attempt on another server instance) lock their rows in the same order.
            AlertUpload[] sorted = [.. alerts.DistinctBy(a => a.Uuid).OrderBy(a => a.Uuid)];
            // Each alert enters the one alert history (FleetAlertHistory) under its host's name.
            await using NpgsqlCommand command = _source.CreateCommand(
                $"""
                INSERT INTO alerts (uuid, host, host_id, time, received, source, vm, log, profile, detector, rule, priority, mismatches, summary, details_json, body,
                    binary_path, binary_sha256)
                SELECT u.uuid::text, (SELECT name FROM fleet_hosts WHERE id = @host), @host, u.time, @received, {FleetAlertHistory.Source}, u.vm, u.log, u.profile,
                    {FleetAlertHistory.Detector}, {FleetAlertHistory.Rule}, u.priority, {FleetAlertHistory.Mismatches}, u.output, {FleetAlertHistory.Details}, b,
                    {FleetAlertHistory.BinaryPath}, {FleetAlertHistory.BinarySha256}
                FROM unnest(@uuids, @times, @rules, @priorities, @sources, @vms, @logs, @profiles, @outputs, @bodies)
                    AS u (uuid, time, rule, priority, source, vm, log, profile, output, body),
                    LATERAL (SELECT u.body::jsonb AS b) j
                ON CONFLICT (host, uuid) DO NOTHING
                """);
            command.Parameters.AddWithValue("host", hostId);
            command.Parameters.AddWithValue("received", received.ToUniversalTime());
            command.Parameters.AddWithValue("uuids", sorted.Select(a => a.Uuid).ToArray());
            command.Parameters.AddWithValue("times", sorted.Select(a => a.Time.ToUniversalTime()).ToArray());
            command.Parameters.AddWithValue("rules", sorted.Select(a => a.Rule).ToArray());
            command.Parameters.AddWithValue("priorities", sorted.Select(a => a.Priority).ToArray());
            command.Parameters.AddWithValue("sources", sorted.Select(a => a.Source).ToArray());
            command.Parameters.Add(new NpgsqlParameter("vms", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = sorted.Select(a => a.Vm).ToArray() });
            command.Parameters.Add(new NpgsqlParameter("logs", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = sorted.Select(a => a.Log).ToArray() });
            command.Parameters.Add(new NpgsqlParameter("profiles", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = sorted.Select(a => a.Profile).ToArray() });
            command.Parameters.AddWithValue("outputs", sorted.Select(a => a.Output).ToArray());
            command.Parameters.Add(new NpgsqlParameter("bodies", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = sorted.Select(a => a.Json).ToArray() });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        });

    public Task<IReadOnlyList<FleetHost>> ListHostsAsync(CancellationToken cancellationToken) =>
        Run<IReadOnlyList<FleetHost>>(async () =>
        {
            await using NpgsqlCommand command = _source.CreateCommand($"SELECT {HostColumns} FROM fleet_hosts h ORDER BY h.name");
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var hosts = new List<FleetHost>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                hosts.Add(ReadHost(reader));
            }

            return hosts;
        });

    public Task<bool> RevokeHostAsync(string name, DateTimeOffset time, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            await using NpgsqlCommand command = _source.CreateCommand("UPDATE fleet_hosts SET revoked = COALESCE(revoked, @time) WHERE name = @name");
            command.Parameters.AddWithValue("name", name);
            command.Parameters.AddWithValue("time", time.ToUniversalTime());
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        });

    public Task<IReadOnlyList<FleetAlert>> ListAlertsAsync(FleetAlertQuery query, CancellationToken cancellationToken) =>
        Run<IReadOnlyList<FleetAlert>>(async () =>
        {
            ArgumentNullException.ThrowIfNull(query);
            await using NpgsqlCommand command = _source.CreateCommand(
                """
                SELECT a.seq, a.uuid::uuid, a.host, a.time, a.received, a.body->>'rule', a.priority, a.body->>'source', a.vm, a.log, a.profile, a.summary,
                    a.body::text
                FROM alerts a
                WHERE a.host_id IS NOT NULL AND (@host::text IS NULL OR a.host = @host) AND (@before::bigint IS NULL OR a.seq < @before)
                ORDER BY a.seq DESC
                LIMIT @limit
                """);
            command.Parameters.Add(new NpgsqlParameter<string?>("host", NpgsqlDbType.Text) { TypedValue = query.Host });
            command.Parameters.Add(new NpgsqlParameter<long?>("before", NpgsqlDbType.Bigint) { TypedValue = query.BeforeSeq });
            command.Parameters.AddWithValue("limit", query.Limit);
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var alerts = new List<FleetAlert>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                alerts.Add(new FleetAlert(
                    reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), Time(reader, 3)!.Value, Time(reader, 4)!.Value,
                    reader.GetString(5), reader.GetString(6), reader.GetString(7), Text(reader, 8), Text(reader, 9), Text(reader, 10),
                    reader.GetString(11), reader.GetString(12)));
            }

            return alerts;
        });

    public async ValueTask DisposeAsync()
    {
        await _revisions.DisposeAsync().ConfigureAwait(false);
        Fingerprints.Dispose();
        await _source.DisposeAsync().ConfigureAwait(false);
    }

    private static FleetHost ReadHost(NpgsqlDataReader reader)
    {
        FleetHeartbeat? heartbeat = null;
        if (!reader.IsDBNull(7))
        {
            var pending = reader.IsDBNull(10)
                ? new Dictionary<string, long>()
                : JsonSerializer.Deserialize(reader.GetString(10), PostgresJson.Default.DictionaryStringInt64) ?? [];
            // The VMs themselves are read for one host's page only (VmsOfHostAsync): not at every request a host makes.
            heartbeat = new FleetHeartbeat(reader.GetString(7), reader.GetInt64(8), reader.GetInt64(9), pending, Text(reader, 11))
            {
                VmsTotal = reader.IsDBNull(12) ? null : reader.GetInt64(12),
            };
        }

        return new FleetHost(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), Time(reader, 3)!.Value, Time(reader, 4), Time(reader, 5),
            TimeSpan.FromSeconds(reader.GetInt32(6)), heartbeat);
    }

    /// <summary>
    /// Each host's latest binary of <paramref name="program"/> (a name, matched against the traced
    /// program's; or, with a '/', a path, matched against the binary's path): from the checks
    /// <c>run</c> and <c>attach</c> recorded in this store, and from the alerts the hosts' agents
    /// sent for their own runs (which name the binary only when the run was anomalous); revoked
    /// hosts left out.
    /// </summary>
    public Task<ProgramBinaries> BinariesAsync(string program, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            ArgumentNullException.ThrowIfNull(program);
            string match = program.Contains('/', StringComparison.Ordinal) ? "binary_path" : "program";
            await using NpgsqlCommand command = _source.CreateCommand(
                $"""
                SELECT DISTINCT ON (b.host) b.host, b.binary_sha256, b.binary_path, b.seen
                FROM (
                    SELECT c.host, c.binary_sha256, c.binary_path, c.checked_at AS seen
                    FROM checks c
                    WHERE c.{match} = @program AND c.binary_sha256 IS NOT NULL AND c.host IS NOT NULL
                    UNION ALL
                    SELECT a.host, a.binary_sha256, a.binary_path, a.time
                    FROM alerts a
                    WHERE a.{match} = @program AND a.binary_sha256 IS NOT NULL AND a.host_id IS NOT NULL
                ) b
                WHERE b.host NOT IN (SELECT name FROM fleet_hosts WHERE revoked IS NOT NULL)
                ORDER BY b.host, b.seen DESC
                """);
            command.Parameters.AddWithValue("program", program);
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var hosts = new List<HostBinary>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                hosts.Add(new HostBinary(reader.GetString(0), reader.GetString(1), Text(reader, 2), Time(reader, 3)!.Value));
            }

            return new ProgramBinaries(program, hosts);
        });

    private static DateTimeOffset? Time(DbDataReader reader, int column) =>
        reader.IsDBNull(column) ? null : new DateTimeOffset(reader.GetFieldValue<DateTime>(column), TimeSpan.Zero);

    private static string? Text(DbDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);

    /// <summary>Runs a database call, turning what the user can act on into a store error (74).</summary>
    private async Task<T> Run<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification
            or PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.TooManyConnections
            or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
            or PostgresErrorCodes.ReadOnlySqlTransaction or PostgresErrorCodes.DiskFull)
        {
            throw new SysprintException(ErrorKind.StoreUnavailable, $"{Location}: {e.MessageText} ({e.SqlState})", e);
        }
        catch (NpgsqlException e) when (e.InnerException is SocketException or TimeoutException or IOException || e.IsTransient)
        {
            throw new SysprintException(ErrorKind.StoreUnavailable,
                $"{Location}: cannot reach PostgreSQL: {(e.InnerException ?? e).Message}", e);
        }
    }

}

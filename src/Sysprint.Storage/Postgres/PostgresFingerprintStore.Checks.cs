using Npgsql;
using NpgsqlTypes;

namespace Sysprint.Storage.Postgres;

public sealed partial class PostgresFingerprintStore
{
    private const string AlertColumns = "seq, uuid, time, source, host, vm, log, profile, detector, rule, mismatches, summary, details_json, binary_path, binary_sha256";

    /// <inheritdoc/>
    /// <remarks>The alert takes the check's time.</remarks>
    public long RecordCheck(CheckRecord check)
    {
        ArgumentNullException.ThrowIfNull(check);
        ThrowIfNaN(check.Score);
        return Write(changesProfiles: false, (connection, transaction) => (InsertCheck(connection, transaction, check), true));
    }

    /// <inheritdoc/>
    /// <remarks>Every check (and alert) of the batch in one transaction: one commit instead of one per check.</remarks>
    public IReadOnlyList<long> RecordChecks(IReadOnlyList<CheckRecord> checks)
    {
        ArgumentNullException.ThrowIfNull(checks);
        foreach (CheckRecord check in checks)
        {
            ArgumentNullException.ThrowIfNull(check, nameof(checks));
            ThrowIfNaN(check.Score);
        }

        return Write<IReadOnlyList<long>>(changesProfiles: false, (connection, transaction) =>
        {
            var seqs = new long[checks.Count];
            for (int i = 0; i < seqs.Length; i++)
            {
                seqs[i] = InsertCheck(connection, transaction, checks[i]);
            }

            return (seqs, true);
        });
    }

    /// <inheritdoc/>
    /// <remarks>An alert is the same one when its id and its host are (the agents' ids are unique per host; hosts' ids may meet).</remarks>
    public bool RecordAlert(AlertEntry alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return Write(changesProfiles: false, (connection, transaction) =>
        {
            bool added = InsertAlert(connection, transaction, alert, null) is not null;
            return (added, added);
        });
    }

    /// <inheritdoc/>
    /// <remarks>Ordered by time, then by arrival for alerts of the same time; with the agents' alerts every host sent (<c>serve</c>).</remarks>
    public IReadOnlyList<AlertEntry> ListAlerts(AlertQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Limit);
        return Run<IReadOnlyList<AlertEntry>>(connection =>
        {
            // Each filter is a parameter; a null one matches every alert.
            using var command = new NpgsqlCommand(
                $"""
                SELECT {AlertColumns} FROM alerts
                WHERE (@vm::text IS NULL OR vm = @vm) AND (@host::text IS NULL OR host = @host) AND (@profile::text IS NULL OR profile = @profile)
                    AND (@since::timestamptz IS NULL OR time >= @since)
                ORDER BY time DESC, seq DESC LIMIT @limit
                """,
                connection);
            AddText(command, "vm", query.Vm);
            AddText(command, "host", query.Host);
            AddText(command, "profile", query.Profile);
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("since", NpgsqlDbType.TimestampTz) { TypedValue = query.Since?.ToUniversalTime() });
            command.Parameters.AddWithValue("limit", query.Limit);
            using NpgsqlDataReader reader = command.ExecuteReader();
            var alerts = new List<AlertEntry>();
            while (reader.Read())
            {
                alerts.Add(ReadAlert(reader));
            }

            return alerts;
        });
    }

    /// <inheritdoc/>
    /// <remarks>The one definition of <see cref="FleetSeenSql"/>.</remarks>
    public IReadOnlyDictionary<long, Fleet.FleetSeen?[]> FleetSeen(IReadOnlyCollection<long> seqs, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(seqs);
        return Run(connection => FleetSeenSql.Read(connection, seqs, now));
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Read in one snapshot. <see cref="StoreStats.MappingSource"/> is empty before the first
    /// <see cref="SaveMapping"/>; <see cref="StoreStats.MappingNames"/> counts the names not learnt;
    /// <see cref="ProfileStats.Grams"/> counts every stored gram, known calls included.
    /// </remarks>
    public StoreStats GetStats() =>
        Run(connection =>
        {
            using NpgsqlTransaction transaction = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
            string source = ReadMeta(connection, transaction, "mapping_source") ?? "";
            long[] counts;
            using (var count = new NpgsqlCommand(
                """
                SELECT (SELECT COUNT(*) FROM names WHERE NOT learnt), (SELECT COUNT(*) FROM names WHERE learnt),
                    (SELECT COUNT(*) FROM checks), (SELECT COUNT(*) FROM checks WHERE verdict = 'anomalous'), (SELECT COUNT(*) FROM alerts)
                """,
                connection, transaction))
            {
                using NpgsqlDataReader reader = count.ExecuteReader();
                reader.Read();
                counts = [reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)];
            }

            var profiles = new List<ProfileStats>();
            using (var command = new NpgsqlCommand(
                """
                SELECT p.name, p.window_size, p.detector, p.threshold,
                    (SELECT COUNT(*) FROM grams g WHERE g.profile_id = p.id),
                    (SELECT COUNT(*) FROM logs l WHERE l.profile_id = p.id),
                    (SELECT COALESCE(SUM(l.syscalls), 0)::bigint FROM logs l WHERE l.profile_id = p.id),
                    (SELECT MAX(l.learnt_at) FROM logs l WHERE l.profile_id = p.id)
                FROM profiles p ORDER BY p.name COLLATE "C"
                """,
                connection, transaction))
            {
                using NpgsqlDataReader reader = command.ExecuteReader();
                while (reader.Read())
                {
                    profiles.Add(new ProfileStats(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetDouble(3), reader.GetInt64(4),
                        reader.GetInt64(5), reader.GetInt64(6), reader.IsDBNull(7) ? null : ReadTime(reader, 7)));
                }
            }

            return new StoreStats(PostgresSchema.StoreVersion, source, checked((int)counts[0]), checked((int)counts[1]), profiles, counts[2], counts[3], counts[4]);
        });

    /// <summary>Inserts a check and, when anomalous, its alert; returns the alert's seq or 0.</summary>
    private long InsertCheck(NpgsqlConnection connection, NpgsqlTransaction transaction, CheckRecord check)
    {
        long checkId;
        using (var insert = new NpgsqlCommand(
            """
            INSERT INTO checks (log, vm, host, profile, detector, verdict, syscalls, mismatches, score, summary, details_json, checked_at,
                program, binary_path, binary_sha256)
            VALUES (@log, @vm, @host, @profile, @detector, @verdict, @syscalls, @mismatches, @score, @summary, @details, @time,
                @program, @binary_path, @binary_sha256)
            RETURNING id
            """,
            connection, transaction))
        {
            insert.Parameters.AddWithValue("log", check.Log);
            AddText(insert, "vm", check.Vm);
            AddText(insert, "host", check.Host);
            insert.Parameters.AddWithValue("profile", check.Profile);
            insert.Parameters.AddWithValue("detector", check.Detector);
            insert.Parameters.AddWithValue("verdict", check.Verdict);
            insert.Parameters.AddWithValue("syscalls", check.Syscalls);
            insert.Parameters.AddWithValue("mismatches", check.Mismatches);
            insert.Parameters.AddWithValue("score", check.Score);
            insert.Parameters.AddWithValue("summary", check.Summary);
            insert.Parameters.AddWithValue("details", check.DetailsJson);
            AddTime(insert, "time", check.Time);
            AddText(insert, "program", check.Program);
            AddText(insert, "binary_path", check.BinaryPath);
            AddText(insert, "binary_sha256", check.BinarySha256);
            checkId = (long)insert.ExecuteScalar()!;
        }

        long alertSeq = 0;
        if (check.Anomalous)
        {
            alertSeq = InsertAlert(connection, transaction, new AlertEntry(0, check.AlertId, check.Time, check.Source, check.Host, check.Vm, check.Log,
                check.Profile, check.Detector, null, check.Mismatches, check.Summary, check.DetailsJson)
                {
                    BinaryPath = check.BinaryPath,
                    BinarySha256 = check.BinarySha256,
                }, checkId)
                ?? throw new InvalidOperationException($"{Location}: an alert with id {check.AlertId} is already recorded");
        }

        return alertSeq;
    }

    /// <summary>Inserts into the alert history; returns the new row's seq, or null when the host already has an alert with that id.</summary>
    private static long? InsertAlert(NpgsqlConnection connection, NpgsqlTransaction transaction, AlertEntry alert, long? checkId)
    {
        using var insert = new NpgsqlCommand(
            """
            INSERT INTO alerts (uuid, check_id, time, source, host, vm, log, profile, detector, rule, mismatches, summary, details_json, binary_path, binary_sha256)
            VALUES (@uuid, @check, @time, @source, @host, @vm, @log, @profile, @detector, @rule, @mismatches, @summary, @details, @binary_path, @binary_sha256)
            ON CONFLICT (host, uuid) DO NOTHING
            RETURNING seq
            """,
            connection, transaction);
        insert.Parameters.AddWithValue("uuid", alert.Id);
        insert.Parameters.Add(new NpgsqlParameter<long?>("check", NpgsqlDbType.Bigint) { TypedValue = checkId });
        AddTime(insert, "time", alert.Time);
        insert.Parameters.AddWithValue("source", alert.Source);
        AddText(insert, "host", alert.Host);
        AddText(insert, "vm", alert.Vm);
        AddText(insert, "log", alert.Log);
        AddText(insert, "profile", alert.Profile);
        AddText(insert, "detector", alert.Detector);
        AddText(insert, "rule", alert.Rule);
        insert.Parameters.AddWithValue("mismatches", alert.Mismatches);
        insert.Parameters.AddWithValue("summary", alert.Summary);
        insert.Parameters.AddWithValue("details", alert.DetailsJson);
        AddText(insert, "binary_path", alert.BinaryPath);
        AddText(insert, "binary_sha256", alert.BinarySha256);
        return insert.ExecuteScalar() is long seq ? seq : null;
    }

    private static AlertEntry ReadAlert(NpgsqlDataReader reader) =>
        new(reader.GetInt64(0), reader.GetString(1), ReadTime(reader, 2), reader.GetString(3), NullableText(reader, 4), NullableText(reader, 5),
            NullableText(reader, 6), NullableText(reader, 7), NullableText(reader, 8), NullableText(reader, 9), reader.GetInt64(10), reader.GetString(11),
            reader.GetString(12))
        {
            BinaryPath = NullableText(reader, 13),
            BinarySha256 = NullableText(reader, 14),
        };
}

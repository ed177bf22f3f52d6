using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Sysprint.Storage.Sqlite;

public sealed partial class SqliteFingerprintStore
{
    /// <inheritdoc/>
    /// <remarks>The alert takes the check's time.</remarks>
    public long RecordCheck(CheckRecord check) => RecordChecks([check])[0];

    /// <inheritdoc/>
    /// <remarks>One transaction for all of them: one commit instead of one per check.</remarks>
    public IReadOnlyList<long> RecordChecks(IReadOnlyList<CheckRecord> checks)
    {
        ArgumentNullException.ThrowIfNull(checks);
        foreach (CheckRecord check in checks)
        {
            ArgumentNullException.ThrowIfNull(check);
            ThrowIfNaN(check.Score);
        }

        var ids = new long[checks.Count];
        if (ids.Length == 0)
        {
            return ids;
        }

        try
        {
            using SqliteTransaction transaction = BeginWrite();
            using SqliteCommand insert = Command(
                """
                INSERT INTO checks (log, vm, profile, detector, verdict, syscalls, mismatches, score, summary, details_json, checked_at)
                VALUES ($log, $vm, $profile, $detector, $verdict, $syscalls, $mismatches, $score, $summary, $details, $time)
                RETURNING id
                """,
                transaction);
            for (int i = 0; i < ids.Length; i++)
            {
                CheckRecord check = checks[i];
                insert.Parameters.Clear();
                insert.Parameters.AddWithValue("$log", check.Log);
                insert.Parameters.AddWithValue("$vm", (object?)check.Vm ?? DBNull.Value);
                insert.Parameters.AddWithValue("$profile", check.Profile);
                insert.Parameters.AddWithValue("$detector", check.Detector);
                insert.Parameters.AddWithValue("$verdict", check.Verdict);
                insert.Parameters.AddWithValue("$syscalls", check.Syscalls);
                insert.Parameters.AddWithValue("$mismatches", check.Mismatches);
                insert.Parameters.AddWithValue("$score", check.Score);
                insert.Parameters.AddWithValue("$summary", check.Summary);
                insert.Parameters.AddWithValue("$details", check.DetailsJson);
                insert.Parameters.AddWithValue("$time", StoreTime.Format(check.Time));
                long checkId = (long)insert.ExecuteScalar()!;
                if (!check.Anomalous)
                {
                    continue;
                }

                ids[i] = InsertAlert(new AlertEntry(0, check.AlertId, check.Time, check.Source, check.Host, check.Vm, check.Log, check.Profile,
                    check.Detector, null, check.Mismatches, check.Summary, check.DetailsJson), checkId, transaction)
                    ?? throw new InvalidOperationException($"{Location}: an alert with id {check.AlertId} is already recorded");
            }

            transaction.Commit();
            return ids;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    public bool RecordAlert(AlertEntry alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            bool added = InsertAlert(alert, null, transaction) is not null;
            transaction.Commit();
            return added;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    /// <remarks>Ordered by time, then by arrival for alerts of the same time.</remarks>
    public IReadOnlyList<AlertEntry> ListAlerts(AlertQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Limit);
        try
        {
            // Each filter is a parameter; a null one matches every alert.
            using SqliteCommand command = Command(
                """
                SELECT id, uuid, time, source, host, vm, log, profile, detector, rule, mismatches, summary, details_json
                FROM alerts
                WHERE ($vm IS NULL OR vm = $vm) AND ($host IS NULL OR host = $host) AND ($profile IS NULL OR profile = $profile)
                    AND ($since IS NULL OR time >= $since)
                ORDER BY time DESC, id DESC LIMIT $limit
                """);
            command.Parameters.AddWithValue("$vm", (object?)query.Vm ?? DBNull.Value);
            command.Parameters.AddWithValue("$host", (object?)query.Host ?? DBNull.Value);
            command.Parameters.AddWithValue("$profile", (object?)query.Profile ?? DBNull.Value);
            command.Parameters.AddWithValue("$since", query.Since is { } since ? StoreTime.Format(since) : DBNull.Value);
            command.Parameters.AddWithValue("$limit", query.Limit);
            using SqliteDataReader reader = command.ExecuteReader();
            var alerts = new List<AlertEntry>();
            while (reader.Read())
            {
                alerts.Add(new AlertEntry(
                    reader.GetInt64(0),
                    reader.GetString(1),
                    ReadTime(reader, 2, "alerts.time"),
                    reader.GetString(3),
                    NullableString(reader, 4),
                    NullableString(reader, 5),
                    NullableString(reader, 6),
                    NullableString(reader, 7),
                    NullableString(reader, 8),
                    NullableString(reader, 9),
                    reader.GetInt64(10),
                    reader.GetString(11),
                    reader.GetString(12)));
            }

            return alerts;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <summary>Inserts into the alert history; returns the new row's seq, or null when the id was there already.</summary>
    private long? InsertAlert(AlertEntry alert, long? checkId, SqliteTransaction transaction)
    {
        using SqliteCommand insert = Command(
            """
            INSERT INTO alerts (uuid, check_id, time, source, host, vm, log, profile, detector, rule, mismatches, summary, details_json)
            VALUES ($uuid, $check, $time, $source, $host, $vm, $log, $profile, $detector, $rule, $mismatches, $summary, $details)
            ON CONFLICT (uuid) DO NOTHING
            RETURNING id
            """,
            transaction);
        insert.Parameters.AddWithValue("$uuid", alert.Id);
        insert.Parameters.AddWithValue("$check", (object?)checkId ?? DBNull.Value);
        insert.Parameters.AddWithValue("$time", StoreTime.Format(alert.Time));
        insert.Parameters.AddWithValue("$source", alert.Source);
        insert.Parameters.AddWithValue("$host", (object?)alert.Host ?? DBNull.Value);
        insert.Parameters.AddWithValue("$vm", (object?)alert.Vm ?? DBNull.Value);
        insert.Parameters.AddWithValue("$log", (object?)alert.Log ?? DBNull.Value);
        insert.Parameters.AddWithValue("$profile", (object?)alert.Profile ?? DBNull.Value);
        insert.Parameters.AddWithValue("$detector", (object?)alert.Detector ?? DBNull.Value);
        insert.Parameters.AddWithValue("$rule", (object?)alert.Rule ?? DBNull.Value);
        insert.Parameters.AddWithValue("$mismatches", alert.Mismatches);
        insert.Parameters.AddWithValue("$summary", alert.Summary);
        insert.Parameters.AddWithValue("$details", alert.DetailsJson);
        return insert.ExecuteScalar() is long seq ? seq : null;
    }

    private static string? NullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <inheritdoc/>
    /// <remarks>
    /// Read in one snapshot. <see cref="StoreStats.MappingSource"/> is empty before the first
    /// <see cref="SaveMapping"/>; <see cref="StoreStats.MappingNames"/> counts the names not learnt;
    /// <see cref="ProfileStats.Grams"/> counts every stored gram, known calls included.
    /// </remarks>
    public StoreStats GetStats()
    {
        try
        {
            using SqliteTransaction transaction = BeginRead();
            string source = ReadMeta("mapping_source", transaction) ?? "";
            long mappingNames = Count("SELECT COUNT(*) FROM names WHERE learnt = 0", transaction);
            long learntNames = Count("SELECT COUNT(*) FROM names WHERE learnt <> 0", transaction);
            long checks = Count("SELECT COUNT(*) FROM checks", transaction);
            long anomalous = Count("SELECT COUNT(*) FROM checks WHERE verdict = 'anomalous'", transaction);
            long alerts = Count("SELECT COUNT(*) FROM alerts", transaction);

            var profiles = new List<ProfileStats>();
            using (SqliteCommand command = Command(
                """
                SELECT p.name, p.window_size, p.detector, p.threshold,
                    (SELECT COUNT(*) FROM grams g WHERE g.profile_id = p.id),
                    (SELECT COUNT(*) FROM logs l WHERE l.profile_id = p.id),
                    (SELECT COALESCE(SUM(l.syscalls), 0) FROM logs l WHERE l.profile_id = p.id),
                    (SELECT MAX(l.learnt_at) FROM logs l WHERE l.profile_id = p.id)
                FROM profiles p ORDER BY p.name
                """,
                transaction))
            {
                using SqliteDataReader reader = command.ExecuteReader();
                while (reader.Read())
                {
                    profiles.Add(new ProfileStats(
                        reader.GetString(0),
                        reader.GetInt32(1),
                        reader.GetString(2),
                        reader.GetDouble(3),
                        reader.GetInt64(4),
                        reader.GetInt64(5),
                        reader.GetInt64(6),
                        reader.IsDBNull(7) ? null : ReadTime(reader, 7, "logs.learnt_at")));
                }
            }

            return new StoreStats(
                SqliteSchema.CurrentVersion,
                source,
                checked((int)mappingNames),
                checked((int)learntNames),
                profiles,
                checks,
                anomalous,
                alerts);
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    private long Count(string sql, SqliteTransaction transaction)
    {
        using SqliteCommand command = Command(sql, transaction);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}

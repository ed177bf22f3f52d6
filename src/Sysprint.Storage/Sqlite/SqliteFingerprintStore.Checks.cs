using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Sysprint.Storage.Sqlite;

public sealed partial class SqliteFingerprintStore
{
    /// <inheritdoc/>
    /// <remarks>The alert takes the check's time.</remarks>
    public long RecordCheck(CheckRecord check)
    {
        ArgumentNullException.ThrowIfNull(check);
        ThrowIfNaN(check.Score);
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            long checkId;
            using (SqliteCommand insert = Command(
                """
                INSERT INTO checks (log, vm, profile, detector, verdict, syscalls, mismatches, score, summary, details_json, checked_at)
                VALUES ($log, $vm, $profile, $detector, $verdict, $syscalls, $mismatches, $score, $summary, $details, $time)
                RETURNING id
                """,
                transaction))
            {
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
                checkId = (long)insert.ExecuteScalar()!;
            }

            long alertId = 0;
            if (check.Anomalous)
            {
                using SqliteCommand alert = Command(
                    """
                    INSERT INTO alerts (check_id, time, vm, log, profile, mismatches, summary, details_json)
                    VALUES ($check, $time, $vm, $log, $profile, $mismatches, $summary, $details)
                    RETURNING id
                    """,
                    transaction);
                alert.Parameters.AddWithValue("$check", checkId);
                alert.Parameters.AddWithValue("$time", StoreTime.Format(check.Time));
                alert.Parameters.AddWithValue("$vm", (object?)check.Vm ?? DBNull.Value);
                alert.Parameters.AddWithValue("$log", check.Log);
                alert.Parameters.AddWithValue("$profile", check.Profile);
                alert.Parameters.AddWithValue("$mismatches", check.Mismatches);
                alert.Parameters.AddWithValue("$summary", check.Summary);
                alert.Parameters.AddWithValue("$details", check.DetailsJson);
                alertId = (long)alert.ExecuteScalar()!;
            }

            transaction.Commit();
            return alertId;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    /// <remarks>Ordered by time, then by id for alerts of the same time.</remarks>
    public IReadOnlyList<AlertRecord> ListAlerts(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        try
        {
            using SqliteCommand command = Command(
                """
                SELECT id, time, vm, log, profile, mismatches, summary, details_json
                FROM alerts ORDER BY time DESC, id DESC LIMIT $limit
                """);
            command.Parameters.AddWithValue("$limit", limit);
            using SqliteDataReader reader = command.ExecuteReader();
            var alerts = new List<AlertRecord>();
            while (reader.Read())
            {
                alerts.Add(new AlertRecord(
                    reader.GetInt64(0),
                    ReadTime(reader, 1, "alerts.time"),
                    reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.GetString(3),
                    reader.GetString(4),
                    reader.GetInt64(5),
                    reader.GetString(6),
                    reader.GetString(7)));
            }

            return alerts;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

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

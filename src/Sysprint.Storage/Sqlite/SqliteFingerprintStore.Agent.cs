using Microsoft.Data.Sqlite;

namespace Sysprint.Storage.Sqlite;

/// <summary>The live agent's tables (schema version 2): the alert outbox and the watched files.</summary>
public sealed partial class SqliteFingerprintStore : IAgentStore
{
    /// <inheritdoc/>
    public bool AddAlert(OutboxAlert alert, IReadOnlyList<string> sinks)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(sinks);
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            long seq;
            using (SqliteCommand insert = Command(
                """
                INSERT INTO agent_alerts (id, time, rule, priority, source, vm, log, json, text)
                VALUES ($id, $time, $rule, $priority, $source, $vm, $log, $json, $text)
                ON CONFLICT (id) DO NOTHING
                RETURNING seq
                """,
                transaction))
            {
                insert.Parameters.AddWithValue("$id", alert.Id);
                insert.Parameters.AddWithValue("$time", StoreTime.Format(alert.Time));
                insert.Parameters.AddWithValue("$rule", alert.Rule);
                insert.Parameters.AddWithValue("$priority", alert.Priority);
                insert.Parameters.AddWithValue("$source", alert.Source);
                insert.Parameters.AddWithValue("$vm", (object?)alert.Vm ?? DBNull.Value);
                insert.Parameters.AddWithValue("$log", (object?)alert.Log ?? DBNull.Value);
                insert.Parameters.AddWithValue("$json", alert.Json);
                insert.Parameters.AddWithValue("$text", alert.Text);
                object? result = insert.ExecuteScalar();
                if (result is null)
                {
                    transaction.Commit();
                    return false;
                }

                seq = (long)result;
            }

            if (alert.History is { } history)
            {
                InsertAlert(history with { Id = alert.Id }, null, transaction);
            }

            using (SqliteCommand delivery = Command(
                """
                INSERT INTO agent_deliveries (sink, alert_seq, attempts) VALUES ($sink, $seq, 0)
                ON CONFLICT (sink, alert_seq) DO NOTHING
                """,
                transaction))
            {
                SqliteParameter sinkParameter = delivery.Parameters.Add("$sink", SqliteType.Text);
                delivery.Parameters.AddWithValue("$seq", seq);
                foreach (string sink in sinks)
                {
                    sinkParameter.Value = sink;
                    delivery.ExecuteNonQuery();
                }
            }

            transaction.Commit();
            return true;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<OutboxAlert> PendingAlerts(string sink, int limit)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        try
        {
            using SqliteCommand command = Command(
                """
                SELECT a.id, a.time, a.rule, a.priority, a.source, a.vm, a.log, a.json, a.text
                FROM agent_deliveries d JOIN agent_alerts a ON a.seq = d.alert_seq
                WHERE d.sink = $sink AND d.delivered_at IS NULL
                ORDER BY d.alert_seq LIMIT $limit
                """);
            command.Parameters.AddWithValue("$sink", sink);
            command.Parameters.AddWithValue("$limit", limit);
            return ReadAlerts(command);
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<OutboxAlert> ListOutboxAlerts(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        try
        {
            using SqliteCommand command = Command(
                """
                SELECT id, time, rule, priority, source, vm, log, json, text
                FROM agent_alerts ORDER BY seq DESC LIMIT $limit
                """);
            command.Parameters.AddWithValue("$limit", limit);
            return ReadAlerts(command);
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    public void MarkDelivered(string alertId, string sink, DateTimeOffset time) =>
        UpdateDelivery(
            """
            UPDATE agent_deliveries SET delivered_at = $time, attempts = attempts + 1, last_attempt = $time
            WHERE sink = $sink AND alert_seq = (SELECT seq FROM agent_alerts WHERE id = $id)
            """,
            alertId, sink, time, null);

    /// <inheritdoc/>
    public void MarkFailed(string alertId, string sink, string reason, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(reason);
        UpdateDelivery(
            """
            UPDATE agent_deliveries SET attempts = attempts + 1, last_error = $error, last_attempt = $time
            WHERE sink = $sink AND alert_seq = (SELECT seq FROM agent_alerts WHERE id = $id)
            """,
            alertId, sink, time, reason);
    }

    /// <inheritdoc/>
    public IReadOnlyList<SinkCounts> CountDeliveries()
    {
        try
        {
            using SqliteTransaction transaction = BeginRead();
            using SqliteCommand command = Command(
                """
                SELECT d.sink,
                    SUM(CASE WHEN d.delivered_at IS NOT NULL THEN 1 ELSE 0 END),
                    SUM(CASE WHEN d.delivered_at IS NULL THEN 1 ELSE 0 END),
                    SUM(CASE WHEN d.delivered_at IS NULL THEN d.attempts ELSE d.attempts - 1 END),
                    MAX(d.delivered_at),
                    (SELECT e.last_error FROM agent_deliveries e WHERE e.sink = d.sink AND e.last_error IS NOT NULL
                        ORDER BY e.last_attempt DESC LIMIT 1),
                    (SELECT MAX(e.last_attempt) FROM agent_deliveries e WHERE e.sink = d.sink AND e.last_error IS NOT NULL),
                    (SELECT MIN(a.time) FROM agent_deliveries e JOIN agent_alerts a ON a.seq = e.alert_seq
                        WHERE e.sink = d.sink AND e.delivered_at IS NULL)
                FROM agent_deliveries d GROUP BY d.sink ORDER BY d.sink
                """,
                transaction);
            using SqliteDataReader reader = command.ExecuteReader();
            var counts = new List<SinkCounts>();
            while (reader.Read())
            {
                counts.Add(new SinkCounts(
                    reader.GetString(0),
                    reader.GetInt64(1),
                    reader.GetInt64(2),
                    reader.GetInt64(3),
                    reader.IsDBNull(4) ? null : ReadTime(reader, 4, "agent_deliveries.delivered_at"),
                    reader.IsDBNull(5) ? null : reader.GetString(5),
                    reader.IsDBNull(6) ? null : ReadTime(reader, 6, "agent_deliveries.last_attempt"),
                    reader.IsDBNull(7) ? null : ReadTime(reader, 7, "agent_alerts.time")));
            }

            return counts;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    public int PruneDeliveredAlerts(DateTimeOffset before)
    {
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            using (SqliteCommand deliveries = Command(
                """
                DELETE FROM agent_deliveries WHERE alert_seq IN (
                    SELECT a.seq FROM agent_alerts a
                    WHERE a.time < $before
                      AND NOT EXISTS (SELECT 1 FROM agent_deliveries d WHERE d.alert_seq = a.seq AND d.delivered_at IS NULL)
                      AND (a.log IS NULL OR a.log NOT IN (SELECT path FROM agent_files)))
                """,
                transaction))
            {
                deliveries.Parameters.AddWithValue("$before", StoreTime.Format(before));
                deliveries.ExecuteNonQuery();
            }

            int pruned;
            using (SqliteCommand alerts = Command(
                """
                DELETE FROM agent_alerts
                WHERE time < $before
                  AND NOT EXISTS (SELECT 1 FROM agent_deliveries d WHERE d.alert_seq = agent_alerts.seq)
                  AND (log IS NULL OR log NOT IN (SELECT path FROM agent_files))
                """,
                transaction))
            {
                alerts.Parameters.AddWithValue("$before", StoreTime.Format(before));
                pruned = alerts.ExecuteNonQuery();
            }

            transaction.Commit();
            return pruned;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    public int DeleteWatchedFiles(IReadOnlyList<long> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            int deleted = 0;
            using (SqliteCommand delete = Command("DELETE FROM agent_files WHERE id = $id", transaction))
            {
                SqliteParameter id = delete.Parameters.Add("$id", SqliteType.Integer);
                foreach (long value in ids)
                {
                    id.Value = value;
                    deleted += delete.ExecuteNonQuery();
                }
            }

            transaction.Commit();
            return deleted;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<WatchedFile> ListWatchedFiles()
    {
        try
        {
            using SqliteCommand command = Command(
                """
                SELECT id, file_key, vm, path, device, inode, head_length, head_hash, bytes, size, lines, syscalls,
                    alerts, state, error, first_seen, updated
                FROM agent_files ORDER BY id
                """);
            using SqliteDataReader reader = command.ExecuteReader();
            var files = new List<WatchedFile>();
            while (reader.Read())
            {
                files.Add(new WatchedFile
                {
                    Id = reader.GetInt64(0),
                    Key = reader.GetString(1),
                    Vm = reader.GetString(2),
                    Path = reader.GetString(3),
                    Device = reader.GetInt64(4),
                    Inode = reader.GetInt64(5),
                    HeadLength = reader.GetInt32(6),
                    HeadHash = reader.GetString(7),
                    Bytes = reader.GetInt64(8),
                    Size = reader.GetInt64(9),
                    Lines = reader.GetInt64(10),
                    Syscalls = reader.GetInt64(11),
                    Alerts = reader.GetInt64(12),
                    State = reader.GetString(13),
                    Error = reader.IsDBNull(14) ? null : reader.GetString(14),
                    FirstSeen = ReadTime(reader, 15, "agent_files.first_seen"),
                    Updated = ReadTime(reader, 16, "agent_files.updated"),
                });
            }

            return files;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    public WatchedFile AddWatchedFile(WatchedFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            using SqliteCommand insert = Command(
                """
                INSERT INTO agent_files (file_key, vm, path, device, inode, head_length, head_hash, bytes, size, lines,
                    syscalls, alerts, state, error, first_seen, updated)
                VALUES ($key, $vm, $path, $device, $inode, $head_length, $head_hash, $bytes, $size, $lines,
                    $syscalls, $alerts, $state, $error, $first_seen, $updated)
                RETURNING id
                """,
                transaction);
            insert.Parameters.AddWithValue("$key", file.Key);
            insert.Parameters.AddWithValue("$vm", file.Vm);
            insert.Parameters.AddWithValue("$first_seen", StoreTime.Format(file.FirstSeen));
            AddFileParameters(insert, file);
            long id = (long)insert.ExecuteScalar()!;
            transaction.Commit();
            return file with { Id = id };
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    public void UpdateWatchedFiles(IReadOnlyList<WatchedFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0)
        {
            return;
        }

        try
        {
            using SqliteTransaction transaction = BeginWrite();
            foreach (WatchedFile file in files)
            {
                using SqliteCommand update = Command(
                    """
                    UPDATE agent_files SET path = $path, device = $device, inode = $inode, head_length = $head_length,
                        head_hash = $head_hash, bytes = $bytes, size = $size, lines = $lines, syscalls = $syscalls,
                        alerts = $alerts, state = $state, error = $error, updated = $updated
                    WHERE id = $id
                    """,
                    transaction);
                update.Parameters.AddWithValue("$id", file.Id);
                AddFileParameters(update, file);
                update.ExecuteNonQuery();
            }

            transaction.Commit();
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    public void SetAgentInfo(AgentInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);

        // Kept as one row per fact (AgentInfo's codec), so a store written by an older agent still reads.
        IReadOnlyDictionary<string, string> values = info.ToValues();
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            foreach (var (key, value) in values)
            {
                using SqliteCommand upsert = Command(
                    "INSERT INTO agent_info (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    transaction);
                upsert.Parameters.AddWithValue("$key", key);
                upsert.Parameters.AddWithValue("$value", value);
                upsert.ExecuteNonQuery();
            }

            transaction.Commit();
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    public AgentInfo? GetAgentInfo()
    {
        try
        {
            using SqliteCommand command = Command("SELECT key, value FROM agent_info ORDER BY key");
            using SqliteDataReader reader = command.ExecuteReader();
            var info = new Dictionary<string, string>(StringComparer.Ordinal);
            while (reader.Read())
            {
                info[reader.GetString(0)] = reader.GetString(1);
            }

            return AgentInfo.FromValues(info);
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    private void UpdateDelivery(string sql, string alertId, string sink, DateTimeOffset time, string? error)
    {
        ArgumentNullException.ThrowIfNull(alertId);
        ArgumentNullException.ThrowIfNull(sink);
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            using SqliteCommand update = Command(sql, transaction);
            update.Parameters.AddWithValue("$id", alertId);
            update.Parameters.AddWithValue("$sink", sink);
            update.Parameters.AddWithValue("$time", StoreTime.Format(time));
            if (error is not null)
            {
                update.Parameters.AddWithValue("$error", error);
            }

            update.ExecuteNonQuery();
            transaction.Commit();
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    private List<OutboxAlert> ReadAlerts(SqliteCommand command)
    {
        using SqliteDataReader reader = command.ExecuteReader();
        var alerts = new List<OutboxAlert>();
        while (reader.Read())
        {
            alerts.Add(new OutboxAlert(
                reader.GetString(0),
                ReadTime(reader, 1, "agent_alerts.time"),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.GetString(7),
                reader.GetString(8)));
        }

        return alerts;
    }

    private static void AddFileParameters(SqliteCommand command, WatchedFile file)
    {
        command.Parameters.AddWithValue("$path", file.Path);
        command.Parameters.AddWithValue("$device", file.Device);
        command.Parameters.AddWithValue("$inode", file.Inode);
        command.Parameters.AddWithValue("$head_length", file.HeadLength);
        command.Parameters.AddWithValue("$head_hash", file.HeadHash);
        command.Parameters.AddWithValue("$bytes", file.Bytes);
        command.Parameters.AddWithValue("$size", file.Size);
        command.Parameters.AddWithValue("$lines", file.Lines);
        command.Parameters.AddWithValue("$syscalls", file.Syscalls);
        command.Parameters.AddWithValue("$alerts", file.Alerts);
        command.Parameters.AddWithValue("$state", file.State);
        command.Parameters.AddWithValue("$error", (object?)file.Error ?? DBNull.Value);
        command.Parameters.AddWithValue("$updated", StoreTime.Format(file.Updated));
    }
}

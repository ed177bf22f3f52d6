using System.Data.Common;
using Npgsql;
using NpgsqlTypes;
using Sysprint.Fleet;

namespace Sysprint.Storage.Postgres;

/// <summary>The learning windows (<see cref="ILearningWindows"/>, fleet part version 8).</summary>
public sealed partial class PostgresFleetStore : ILearningWindows
{
    private const string WindowColumns =
        """
        w.id, w.grp, w.profile, w.opened, w.closes, w.closed, w.learnt,
        (SELECT count(DISTINCT l.host_id)::int FROM fleet_learning_logs l WHERE l.window_id = w.id),
        (SELECT count(*)::int FROM fleet_learning_logs l WHERE l.window_id = w.id),
        w.learnt_logs, w.new_transitions
        """;

    /// <summary>The revision goes up and listeners are told, as for any change to what agents receive.</summary>
    private const string BumpRevision =
        $"""
        WITH r AS (UPDATE store_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision)
        SELECT pg_notify('{PostgresFingerprintStore.ChangeChannel}', revision::text) FROM r
        """;

    /// <inheritdoc/>
    public ILearningWindows LearningWindows => this;

    async Task<LearningWindow?> ILearningWindows.OpenAsync(string group, string profile, DateTimeOffset opened, DateTimeOffset closes, CancellationToken cancellationToken) =>
        await Run(async () =>
        {
            await using NpgsqlConnection connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            long id;
            await using (var insert = new NpgsqlCommand(
                """
                INSERT INTO fleet_learning_windows (grp, profile, opened, closes) VALUES (@grp, @profile, @opened, @closes)
                ON CONFLICT (grp, profile) WHERE learnt IS NULL DO NOTHING
                RETURNING id
                """, connection, transaction))
            {
                insert.Parameters.AddWithValue("grp", group);
                insert.Parameters.AddWithValue("profile", profile);
                insert.Parameters.AddWithValue("opened", opened.ToUniversalTime());
                insert.Parameters.AddWithValue("closes", closes.ToUniversalTime());
                if (await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not long inserted)
                {
                    return null;
                }

                id = inserted;
            }

            await BumpAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return new LearningWindow(id, group, profile, opened, closes, null, null, 0, 0, null, null);
        }).ConfigureAwait(false);

    Task<IReadOnlyList<LearningWindow>> ILearningWindows.ListAsync(CancellationToken cancellationToken) =>
        Run<IReadOnlyList<LearningWindow>>(async () =>
        {
            await using NpgsqlCommand command = _source.CreateCommand($"SELECT {WindowColumns} FROM fleet_learning_windows w ORDER BY w.id DESC");
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var windows = new List<LearningWindow>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                windows.Add(ReadWindow(reader));
            }

            return windows;
        });

    Task<LearningWindow?> ILearningWindows.FindAsync(long id, CancellationToken cancellationToken) => FindWindowAsync(id, cancellationToken);

    Task<bool> ILearningWindows.CloseAsync(long id, DateTimeOffset now, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            await using NpgsqlConnection connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var update = new NpgsqlCommand(
                "UPDATE fleet_learning_windows SET closed = @now WHERE id = @id AND closed IS NULL AND learnt IS NULL", connection, transaction))
            {
                update.Parameters.AddWithValue("id", id);
                update.Parameters.AddWithValue("now", now.ToUniversalTime());
                if (await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
                {
                    return false;
                }
            }

            await BumpAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        });

    Task<StageOutcome> ILearningWindows.StageAsync(long windowId, long hostId, LearningUpload upload, DateTimeOffset now, int maxPerHost, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            ArgumentNullException.ThrowIfNull(upload);
            await using NpgsqlConnection connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

            // FOR SHARE: a close or a claim (both update the row) waits for this upload, or this upload sees them.
            await using (var window = new NpgsqlCommand(
                """
                SELECT (SELECT count(*) FROM fleet_learning_logs l WHERE l.window_id = w.id AND l.host_id = @host)
                FROM fleet_learning_windows w
                WHERE w.id = @id AND w.learnt IS NULL AND w.claimed IS NULL AND w.closed IS NULL AND w.closes > @now
                FOR SHARE
                """, connection, transaction))
            {
                window.Parameters.AddWithValue("id", windowId);
                window.Parameters.AddWithValue("host", hostId);
                window.Parameters.AddWithValue("now", now.ToUniversalTime());
                object? staged = await window.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                if (staged is not long count)
                {
                    return StageOutcome.Closed;
                }

                if (count >= maxPerHost)
                {
                    return StageOutcome.TooMany;
                }
            }

            await using (var insert = new NpgsqlCommand(
                """
                INSERT INTO fleet_learning_logs (window_id, sha256, host_id, vm, log, syscalls, grams, windows, received)
                VALUES (@id, @sha, @host, @vm, @log, @syscalls, @grams, @windows, @received)
                ON CONFLICT (window_id, sha256) DO NOTHING
                """, connection, transaction))
            {
                insert.Parameters.AddWithValue("id", windowId);
                insert.Parameters.AddWithValue("sha", upload.Sha256);
                insert.Parameters.AddWithValue("host", hostId);
                insert.Parameters.AddWithValue("vm", upload.Vm);
                insert.Parameters.AddWithValue("log", upload.Log);
                insert.Parameters.AddWithValue("syscalls", upload.Syscalls);
                insert.Parameters.Add(new NpgsqlParameter<string[]>("grams", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. upload.Grams] });
                insert.Parameters.Add(new NpgsqlParameter<byte[]?>("windows", NpgsqlDbType.Bytea) { TypedValue = upload.Windows });
                insert.Parameters.AddWithValue("received", now.ToUniversalTime());
                int added = await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return added == 1 ? StageOutcome.Staged : StageOutcome.AlreadyStaged;
            }
        });

    Task<LearningWindow?> ILearningWindows.ClaimDueAsync(DateTimeOffset now, TimeSpan staleAfter, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            long? claimed;
            await using (NpgsqlCommand command = _source.CreateCommand(
                """
                UPDATE fleet_learning_windows SET claimed = @now
                WHERE id = (SELECT id FROM fleet_learning_windows
                            WHERE learnt IS NULL AND (closed IS NOT NULL OR closes <= @now) AND (claimed IS NULL OR claimed < @stale)
                            ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
                  AND learnt IS NULL AND (claimed IS NULL OR claimed < @stale)
                RETURNING id
                """))
            {
                command.Parameters.AddWithValue("now", now.ToUniversalTime());
                command.Parameters.AddWithValue("stale", (now - staleAfter).ToUniversalTime());
                claimed = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as long?;
            }

            return claimed is { } id ? await FindWindowAsync(id, cancellationToken).ConfigureAwait(false) : null;
        });

    Task<IReadOnlyList<StagedLog>> ILearningWindows.StagedAsync(long windowId, CancellationToken cancellationToken) =>
        Run<IReadOnlyList<StagedLog>>(async () =>
        {
            await using NpgsqlCommand command = _source.CreateCommand(
                """
                SELECT h.name, l.sha256, l.vm, l.log, l.syscalls, l.grams, l.windows, l.received
                FROM fleet_learning_logs l JOIN fleet_hosts h ON h.id = l.host_id
                WHERE l.window_id = @id ORDER BY l.received, l.sha256
                """);
            command.Parameters.AddWithValue("id", windowId);
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var logs = new List<StagedLog>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var upload = new LearningUpload(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4),
                    reader.GetFieldValue<string[]>(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<byte[]>(6));
                logs.Add(new StagedLog(reader.GetString(0), upload, Time(reader, 7)!.Value));
            }

            return logs;
        });

    Task<bool> ILearningWindows.MarkLearntAsync(long windowId, int learntLogs, int newTransitions, DateTimeOffset now, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            await using NpgsqlConnection connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var update = new NpgsqlCommand(
                "UPDATE fleet_learning_windows SET learnt = @now, learnt_logs = @logs, new_transitions = @new WHERE id = @id AND learnt IS NULL",
                connection, transaction))
            {
                update.Parameters.AddWithValue("id", windowId);
                update.Parameters.AddWithValue("now", now.ToUniversalTime());
                update.Parameters.AddWithValue("logs", learntLogs);
                update.Parameters.AddWithValue("new", newTransitions);
                if (await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
                {
                    return false;
                }
            }

            await BumpAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        });

    private Task<LearningWindow?> FindWindowAsync(long id, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            await using NpgsqlCommand command = _source.CreateCommand($"SELECT {WindowColumns} FROM fleet_learning_windows w WHERE w.id = @id");
            command.Parameters.AddWithValue("id", id);
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadWindow(reader) : null;
        });

    private static async Task BumpAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var bump = new NpgsqlCommand(BumpRevision, connection, transaction);
        await bump.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static LearningWindow ReadWindow(DbDataReader reader) =>
        new(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), Time(reader, 3)!.Value, Time(reader, 4)!.Value, Time(reader, 5), Time(reader, 6),
            reader.GetInt32(7), reader.GetInt32(8), reader.IsDBNull(9) ? null : reader.GetInt32(9), reader.IsDBNull(10) ? null : reader.GetInt32(10));
}

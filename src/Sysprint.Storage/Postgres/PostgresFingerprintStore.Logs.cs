using Npgsql;
using NpgsqlTypes;
using Sysprint.Detection;
using Sysprint.Model;

namespace Sysprint.Storage.Postgres;

public sealed partial class PostgresFingerprintStore
{
    private const string LogColumns = "path, size, sha256, syscalls, new_transitions, fingerprint_size, learnt_at";

    /// <inheritdoc/>
    public LearntLog? FindLearntLog(long profileId, string sha256)
    {
        ArgumentNullException.ThrowIfNull(sha256);
        return Run(connection =>
        {
            using var command = new NpgsqlCommand($"SELECT {LogColumns} FROM logs WHERE profile_id = @profile AND sha256 = @sha", connection);
            command.Parameters.AddWithValue("profile", profileId);
            command.Parameters.AddWithValue("sha", sha256);
            using NpgsqlDataReader reader = command.ExecuteReader();
            return reader.Read() ? ReadLog(reader) : null;
        });
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A gram already stored keeps the log that first brought it. When a log with the same SHA-256
    /// is already learnt into the profile (another host learnt it first, even at the same moment:
    /// learning runs under the write lock), nothing is written and that log's id is returned. A
    /// gram of the wrong length throws <see cref="ArgumentException"/> before anything is written.
    /// </remarks>
    public long LearnLog(ProfileInfo profile, LearntLog log, IReadOnlyList<int[]> newGrams, IReadOnlyList<KeyValuePair<int, string>> newNames,
        SubstringModel? windows = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(newGrams);
        ArgumentNullException.ThrowIfNull(newNames);
        string[] grams = Grams(profile, newGrams);
        byte[]? windowBytes = windows?.ToBytes();
        return Write(changesProfiles: true, (connection, transaction) => LearnLog(connection, transaction, profile, log, grams, windowBytes, newNames));
    }

    /// <summary>The grams as stored (text), each checked against the profile's window.</summary>
    private static string[] Grams(ProfileInfo profile, IReadOnlyList<int[]> newGrams)
    {
        string[] grams = new string[newGrams.Count];
        for (int i = 0; i < grams.Length; i++)
        {
            int[] gram = newGrams[i];
            if (gram is null || gram.Length < 1 || gram.Length > profile.Window)
            {
                throw new ArgumentException($"gram {i} holds {gram?.Length ?? 0} calls; profile '{profile.Name}' takes 1 to {profile.Window}", nameof(newGrams));
            }

            grams[i] = Fingerprint.FormatGram(gram);
        }

        return grams;
    }

    /// <summary>Learns a log within the caller's transaction; false when it was learnt already (nothing written).</summary>
    private (long LogId, bool Inserted) LearnLog(NpgsqlConnection connection, NpgsqlTransaction transaction, ProfileInfo profile, LearntLog log, string[] grams,
        byte[]? windowBytes, IReadOnlyList<KeyValuePair<int, string>> newNames)
    {
        long logId;
        using (var insert = new NpgsqlCommand(
            $"""
            INSERT INTO logs (profile_id, {LogColumns}, windows)
            VALUES (@profile, @path, @size, @sha, @syscalls, @new, @fingerprint, @time, @windows)
            ON CONFLICT (profile_id, sha256) DO NOTHING
            RETURNING id
            """,
            connection, transaction))
        {
            insert.Parameters.AddWithValue("profile", profile.Id);
            insert.Parameters.AddWithValue("path", log.Path);
            insert.Parameters.AddWithValue("size", log.Size);
            insert.Parameters.AddWithValue("sha", log.Sha256);
            insert.Parameters.AddWithValue("syscalls", log.Syscalls);
            insert.Parameters.AddWithValue("new", log.NewTransitions);
            insert.Parameters.AddWithValue("fingerprint", log.FingerprintSize);
            AddTime(insert, "time", log.Time);
            insert.Parameters.Add(new NpgsqlParameter<byte[]?>("windows", NpgsqlDbType.Bytea) { TypedValue = windowBytes });
            if (insert.ExecuteScalar() is not long inserted)
            {
                return (ExistingLogId(connection, transaction, profile.Id, log.Sha256), false);
            }

            logId = inserted;
        }

        if (grams.Length > 0)
        {
            // One statement for every gram; in text order, so concurrent writers (there are none
            // under the write lock, but a future one) meet rows in the same order.
            using var insertGrams = new NpgsqlCommand(
                """
                INSERT INTO grams (profile_id, gram, first_log_id)
                SELECT @profile, g, @log FROM unnest(@grams) AS g ORDER BY g COLLATE "C"
                ON CONFLICT (profile_id, gram) DO NOTHING
                """,
                connection, transaction);
            insertGrams.Parameters.AddWithValue("profile", profile.Id);
            insertGrams.Parameters.AddWithValue("log", logId);
            insertGrams.Parameters.Add(new NpgsqlParameter<string[]>("grams", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = grams });
            insertGrams.ExecuteNonQuery();
        }

        InsertNames(connection, transaction, newNames, learnt: true);
        return (logId, true);
    }

    /// <inheritdoc/>
    public IReadOnlyList<LearntLog> ListLearntLogs(long profileId) =>
        Run<IReadOnlyList<LearntLog>>(connection =>
        {
            using var command = new NpgsqlCommand($"SELECT {LogColumns} FROM logs WHERE profile_id = @profile ORDER BY id", connection);
            command.Parameters.AddWithValue("profile", profileId);
            using NpgsqlDataReader reader = command.ExecuteReader();
            var logs = new List<LearntLog>();
            while (reader.Read())
            {
                logs.Add(ReadLog(reader));
            }

            return logs;
        });

    /// <inheritdoc/>
    public StoredWindowModel LoadWindowModel(ProfileInfo profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return Run(connection =>
        {
            using var command = new NpgsqlCommand("SELECT id, syscalls, windows, sha256 FROM logs WHERE profile_id = @profile ORDER BY id", connection);
            command.Parameters.AddWithValue("profile", profile.Id);
            using NpgsqlDataReader reader = command.ExecuteReader();
            var model = new SubstringModel();
            var logs = new List<(int, long)>();
            var vocabularies = new List<int[]>();
            var stored = new List<(string, byte[])>();
            int without = 0;
            while (reader.Read())
            {
                if (reader.IsDBNull(2))
                {
                    without++;
                    continue;
                }

                int id = checked((int)reader.GetInt64(0));
                byte[] bytes = reader.GetFieldValue<byte[]>(2);
                try
                {
                    vocabularies.Add(model.AddLog(bytes, id));
                }
                catch (InvalidDataException e)
                {
                    throw Corrupt($"the windows of log {id}: {e.Message}");
                }

                logs.Add((id, reader.GetInt64(1)));
                stored.Add((reader.GetString(3), bytes));
            }

            model.Freeze();
            return new StoredWindowModel(model, logs, vocabularies, [.. stored.Select(s => s.Item2)], without, Integrity.WindowsDigest.Compute(stored));
        });
    }

    /// <inheritdoc/>
    public IReadOnlyList<LogWindows> ListLogWindows(long profileId) =>
        Run<IReadOnlyList<LogWindows>>(connection =>
        {
            using var command = new NpgsqlCommand(
                "SELECT sha256, syscalls, windows FROM logs WHERE profile_id = @profile AND windows IS NOT NULL ORDER BY id", connection);
            command.Parameters.AddWithValue("profile", profileId);
            using NpgsqlDataReader reader = command.ExecuteReader();
            var all = new List<LogWindows>();
            while (reader.Read())
            {
                all.Add(new LogWindows(reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2)));
            }

            return all;
        });

    private long ExistingLogId(NpgsqlConnection connection, NpgsqlTransaction transaction, long profileId, string sha256)
    {
        using var command = new NpgsqlCommand("SELECT id FROM logs WHERE profile_id = @profile AND sha256 = @sha", connection, transaction);
        command.Parameters.AddWithValue("profile", profileId);
        command.Parameters.AddWithValue("sha", sha256);
        return command.ExecuteScalar() is long id ? id : throw new InvalidOperationException($"{Location}: log {sha256} conflicted but cannot be found");
    }

    private static LearntLog ReadLog(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt32(4), reader.GetInt32(5), ReadTime(reader, 6));
}

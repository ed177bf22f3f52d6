using Microsoft.Data.Sqlite;
using Sysprint.Model;

namespace Sysprint.Storage.Sqlite;

public sealed partial class SqliteFingerprintStore
{
    private const string LogColumns = "path, size, sha256, syscalls, new_transitions, fingerprint_size, learnt_at";

    /// <inheritdoc/>
    public LearntLog? FindLearntLog(long profileId, string sha256)
    {
        ArgumentNullException.ThrowIfNull(sha256);
        try
        {
            using SqliteCommand command = Command($"SELECT {LogColumns} FROM logs WHERE profile_id = $profile AND sha256 = $sha");
            command.Parameters.AddWithValue("$profile", profileId);
            command.Parameters.AddWithValue("$sha", sha256);
            using SqliteDataReader reader = command.ExecuteReader();
            return reader.Read() ? ReadLog(reader) : null;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A gram already stored keeps the log that first brought it. When a log with the same SHA-256
    /// is already learnt into the profile (another process won a race), nothing is written and that
    /// log's id is returned. A gram of the wrong length throws <see cref="ArgumentException"/> and
    /// nothing is written.
    /// </remarks>
    public long LearnLog(ProfileInfo profile, LearntLog log, IReadOnlyList<int[]> newGrams, IReadOnlyList<KeyValuePair<int, string>> newNames,
        Detection.SubstringModel? windows = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(newGrams);
        ArgumentNullException.ThrowIfNull(newNames);
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            long logId = LearnLog(profile, log, newGrams, newNames, windows, transaction, out bool inserted);
            if (inserted)
            {
                transaction.Commit();
            }

            return logId;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <summary>
    /// <see cref="LearnLog(ProfileInfo, LearntLog, IReadOnlyList{int[]}, IReadOnlyList{KeyValuePair{int, string}}, Detection.SubstringModel?)"/>
    /// within the caller's transaction; <paramref name="inserted"/> is false when the log was learnt already (nothing written).
    /// </summary>
    private long LearnLog(ProfileInfo profile, LearntLog log, IReadOnlyList<int[]> newGrams, IReadOnlyList<KeyValuePair<int, string>> newNames,
        Detection.SubstringModel? windows, SqliteTransaction transaction, out bool inserted)
    {
        long logId;
        inserted = false;
        using (SqliteCommand insert = Command(
            $"""
            INSERT INTO logs (profile_id, {LogColumns})
            VALUES ($profile, $path, $size, $sha, $syscalls, $new, $fingerprint, $time)
            ON CONFLICT (profile_id, sha256) DO NOTHING
            RETURNING id
            """,
            transaction))
        {
            insert.Parameters.AddWithValue("$profile", profile.Id);
            insert.Parameters.AddWithValue("$path", log.Path);
            insert.Parameters.AddWithValue("$size", log.Size);
            insert.Parameters.AddWithValue("$sha", log.Sha256);
            insert.Parameters.AddWithValue("$syscalls", log.Syscalls);
            insert.Parameters.AddWithValue("$new", log.NewTransitions);
            insert.Parameters.AddWithValue("$fingerprint", log.FingerprintSize);
            insert.Parameters.AddWithValue("$time", StoreTime.Format(log.Time));
            if (insert.ExecuteScalar() is not long id)
            {
                return ExistingLogId(profile.Id, log.Sha256, transaction);
            }

            logId = id;
        }

        using (SqliteCommand grams = Command(
            "INSERT INTO grams (profile_id, gram, first_log_id) VALUES ($profile, $gram, $log) ON CONFLICT (profile_id, gram) DO NOTHING",
            transaction))
        {
            grams.Parameters.AddWithValue("$profile", profile.Id);
            grams.Parameters.AddWithValue("$log", logId);
            SqliteParameter text = grams.Parameters.Add("$gram", SqliteType.Text);
            grams.Prepare();
            for (int i = 0; i < newGrams.Count; i++)
            {
                int[] gram = newGrams[i];
                if (gram is null || gram.Length < 1 || gram.Length > profile.Window)
                {
                    // Thrown inside the transaction: disposing it undoes the rows already written.
                    throw new ArgumentException(
                        $"gram {i} holds {gram?.Length ?? 0} calls; profile '{profile.Name}' takes 1 to {profile.Window}",
                        nameof(newGrams));
                }

                text.Value = Fingerprint.FormatGram(gram);
                grams.ExecuteNonQuery();
            }
        }

        if (windows is not null)
        {
            WriteWindows(logId, windows, transaction);
        }

        InsertNames(newNames, learnt: true, transaction);
        inserted = true;
        return logId;
    }

    /// <inheritdoc/>
    public IReadOnlyList<LearntLog> ListLearntLogs(long profileId)
    {
        try
        {
            using SqliteCommand command = Command($"SELECT {LogColumns} FROM logs WHERE profile_id = $profile ORDER BY id");
            command.Parameters.AddWithValue("$profile", profileId);
            using SqliteDataReader reader = command.ExecuteReader();
            var logs = new List<LearntLog>();
            while (reader.Read())
            {
                logs.Add(ReadLog(reader));
            }

            return logs;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    private long ExistingLogId(long profileId, string sha256, SqliteTransaction transaction)
    {
        using SqliteCommand command = Command("SELECT id FROM logs WHERE profile_id = $profile AND sha256 = $sha", transaction);
        command.Parameters.AddWithValue("$profile", profileId);
        command.Parameters.AddWithValue("$sha", sha256);
        return command.ExecuteScalar() is long id
            ? id
            : throw new InvalidOperationException($"{Location}: log {sha256} conflicted but cannot be found");
    }

    private LearntLog ReadLog(SqliteDataReader reader) =>
        new(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt32(4),
            reader.GetInt32(5), ReadTime(reader, 6, "logs.learnt_at"));
}

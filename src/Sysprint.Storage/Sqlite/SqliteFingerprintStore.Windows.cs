using Microsoft.Data.Sqlite;
using Sysprint.Detection;

namespace Sysprint.Storage.Sqlite;

public sealed partial class SqliteFingerprintStore
{
    /// <inheritdoc/>
    public StoredWindowModel LoadWindowModel(ProfileInfo profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        try
        {
            using SqliteCommand command = Command(
                """
                SELECT logs.id, logs.syscalls, log_windows.windows, logs.sha256
                FROM logs LEFT JOIN log_windows ON log_windows.log_id = logs.id
                WHERE logs.profile_id = $profile ORDER BY logs.id
                """);
            command.Parameters.AddWithValue("$profile", profile.Id);
            using SqliteDataReader reader = command.ExecuteReader();
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
                byte[] windows = reader.GetValue(2) as byte[] ?? throw Corrupt($"the windows of log {id} are not bytes");
                try
                {
                    vocabularies.Add(model.AddLog(windows, id));
                }
                catch (InvalidDataException e)
                {
                    throw Corrupt($"the windows of log {id}: {e.Message}");
                }

                logs.Add((id, reader.GetInt64(1)));
                stored.Add((reader.GetString(3), windows));
            }

            model.Freeze();
            return new StoredWindowModel(model, logs, vocabularies, [.. stored.Select(s => s.Item2)], without, Integrity.WindowsDigest.Compute(stored));
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<LogWindows> ListLogWindows(long profileId)
    {
        try
        {
            using SqliteCommand command = Command(
                """
                SELECT logs.sha256, logs.syscalls, log_windows.windows
                FROM logs JOIN log_windows ON log_windows.log_id = logs.id
                WHERE logs.profile_id = $profile ORDER BY logs.id
                """);
            command.Parameters.AddWithValue("$profile", profileId);
            using SqliteDataReader reader = command.ExecuteReader();
            var all = new List<LogWindows>();
            while (reader.Read())
            {
                all.Add(new LogWindows(reader.GetString(0), reader.GetInt64(1),
                    reader.GetValue(2) as byte[] ?? throw Corrupt("the windows of a log are not bytes")));
            }

            return all;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <summary>Keeps one log's own windows, inside the log's transaction.</summary>
    private void WriteWindows(long logId, SubstringModel windows, SqliteTransaction transaction)
    {
        using SqliteCommand insert = Command("INSERT INTO log_windows (log_id, windows) VALUES ($log, $windows)", transaction);
        insert.Parameters.AddWithValue("$log", logId);
        insert.Parameters.AddWithValue("$windows", windows.ToBytes());
        insert.ExecuteNonQuery();
    }
}

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
                SELECT logs.id, logs.syscalls, log_windows.windows
                FROM logs LEFT JOIN log_windows ON log_windows.log_id = logs.id
                WHERE logs.profile_id = $profile ORDER BY logs.id
                """);
            command.Parameters.AddWithValue("$profile", profile.Id);
            using SqliteDataReader reader = command.ExecuteReader();
            var model = new SubstringModel();
            var logs = new List<(int, long)>();
            var vocabularies = new List<int[]>();
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
            }

            model.Freeze();
            return new StoredWindowModel(model, logs, vocabularies, without);
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

using System.Security.Cryptography;
using System.Text;
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
            var digests = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
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
                digests[reader.GetString(3)] = SHA256.HashData(windows);
            }

            model.Freeze();
            using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            digest.AppendData("sysprint-windows 1\n"u8);
            foreach ((string sha256, byte[] windowsHash) in digests)
            {
                digest.AppendData(Encoding.UTF8.GetBytes($"{sha256} {Convert.ToHexStringLower(windowsHash)}\n"));
            }

            return new StoredWindowModel(model, logs, vocabularies, without, Convert.ToHexStringLower(digest.GetHashAndReset()));
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

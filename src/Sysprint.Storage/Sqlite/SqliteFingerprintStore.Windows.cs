using System.Buffers.Binary;
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
            // One snapshot: a training process committing between the reads would mix two states.
            using SqliteTransaction snapshot = _connection.BeginTransaction(deferred: true);
            var logs = new List<(int, long)>();
            int without = 0;
            using (SqliteCommand command = Command("SELECT id, syscalls, windows FROM logs WHERE profile_id = $profile ORDER BY id", snapshot))
            {
                command.Parameters.AddWithValue("$profile", profile.Id);
                using SqliteDataReader reader = command.ExecuteReader();
                while (reader.Read())
                {
                    if (reader.GetInt64(2) == 0)
                    {
                        without++;
                    }
                    else
                    {
                        logs.Add((checked((int)reader.GetInt64(0)), reader.GetInt64(1)));
                    }
                }
            }

            var model = new SubstringModel();
            using (SqliteCommand command = Command(
                "SELECT calls, occurrences, starts, logs, owner_log_id FROM windows WHERE profile_id = $profile ORDER BY length(calls)", snapshot))
            {
                command.Parameters.AddWithValue("$profile", profile.Id);
                using SqliteDataReader reader = command.ExecuteReader();
                int[] calls = new int[SubstringModel.MaxWindow];
                while (reader.Read())
                {
                    int length = Decode(ReadBlob(reader, 0, "windows.calls"), calls);
                    model.AddWindow(calls.AsSpan(0, length), checked((int)reader.GetInt64(1)), checked((int)reader.GetInt64(2)),
                        (int)Math.Min(reader.GetInt64(3), 2), checked((int)reader.GetInt64(4)));
                }
            }

            var vocabularies = new List<int[]>();
            using (SqliteCommand command = Command("SELECT calls FROM vocabularies WHERE profile_id = $profile ORDER BY first_log_id, calls", snapshot))
            {
                command.Parameters.AddWithValue("$profile", profile.Id);
                using SqliteDataReader reader = command.ExecuteReader();
                while (reader.Read())
                {
                    byte[] blob = ReadBlob(reader, 0, "vocabularies.calls");
                    int[] calls = new int[blob.Length / 4];
                    Decode(blob, calls);
                    vocabularies.Add(calls);
                }
            }

            snapshot.Commit();
            model.Freeze();
            return new StoredWindowModel(model, logs, vocabularies, without);
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <summary>Adds one log's windows to the profile's totals, inside the log's transaction.</summary>
    private void WriteWindows(ProfileInfo profile, long logId, SubstringModel windows, SqliteTransaction transaction)
    {
        using SqliteCommand upsert = Command(
            """
            INSERT INTO windows (profile_id, calls, occurrences, starts, logs, owner_log_id)
            VALUES ($profile, $calls, $occurrences, $starts, 1, $log)
            ON CONFLICT (profile_id, calls) DO UPDATE SET
                occurrences = windows.occurrences + excluded.occurrences,
                starts = windows.starts + excluded.starts,
                logs = 2
            """,
            transaction);
        upsert.Parameters.AddWithValue("$profile", profile.Id);
        upsert.Parameters.AddWithValue("$log", logId);
        SqliteParameter calls = upsert.Parameters.Add("$calls", SqliteType.Blob);
        SqliteParameter occurrences = upsert.Parameters.Add("$occurrences", SqliteType.Integer);
        SqliteParameter starts = upsert.Parameters.Add("$starts", SqliteType.Integer);
        upsert.Prepare();
        var vocabulary = new List<int>();
        windows.ForEachWindow((window, count, opening, _, _) =>
        {
            calls.Value = Encode(window);
            occurrences.Value = count;
            starts.Value = opening;
            upsert.ExecuteNonQuery();
            if (window.Length == 1)
            {
                vocabulary.Add(window[0]);
            }
        });

        vocabulary.Sort();
        using (SqliteCommand insert = Command(
            "INSERT INTO vocabularies (profile_id, calls, first_log_id) VALUES ($profile, $calls, $log) ON CONFLICT (profile_id, calls) DO NOTHING",
            transaction))
        {
            insert.Parameters.AddWithValue("$profile", profile.Id);
            insert.Parameters.AddWithValue("$calls", Encode(vocabulary.ToArray()));
            insert.Parameters.AddWithValue("$log", logId);
            insert.ExecuteNonQuery();
        }

        using SqliteCommand mark = Command("UPDATE logs SET windows = 1 WHERE id = $log", transaction);
        mark.Parameters.AddWithValue("$log", logId);
        mark.ExecuteNonQuery();
    }

    private static byte[] Encode(ReadOnlySpan<int> calls)
    {
        byte[] blob = new byte[calls.Length * 4];
        for (int i = 0; i < calls.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(blob.AsSpan(i * 4), calls[i]);
        }

        return blob;
    }

    private int Decode(byte[] blob, Span<int> calls)
    {
        int length = blob.Length / 4;
        if (blob.Length % 4 != 0 || length > calls.Length)
        {
            throw Corrupt($"a stored window of {blob.Length} bytes is not 1 to {calls.Length} calls");
        }

        for (int i = 0; i < length; i++)
        {
            calls[i] = BinaryPrimitives.ReadInt32LittleEndian(blob.AsSpan(i * 4));
        }

        return length;
    }

    private byte[] ReadBlob(SqliteDataReader reader, int column, string what) =>
        reader.GetValue(column) as byte[] ?? throw Corrupt($"{what} is not a list of calls");
}

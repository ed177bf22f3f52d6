using Microsoft.Data.Sqlite;
using Sysprint.Mapping;

namespace Sysprint.Storage.Sqlite;

public sealed partial class SqliteFingerprintStore
{
    /// <inheritdoc/>
    /// <remarks>Names are added in (number, name) order, so of several names for one number the first in ordinal order is the one printed.</remarks>
    public SyscallTable? LoadMapping()
    {
        try
        {
            using SqliteTransaction transaction = BeginRead();
            string? source = ReadMeta("mapping_source", transaction);
            if (source is null)
            {
                return null;
            }

            var table = new SyscallTable(source);
            using SqliteCommand command = Command("SELECT number, name FROM names ORDER BY number, name", transaction);
            using SqliteDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
                table.Add(reader.GetInt32(0), reader.GetString(1));
            }

            return table;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Replaces every stored name with <see cref="SyscallTable.Entries"/>; names numbered from
    /// <see cref="SyscallTable.FirstLearntNumber"/> are counted as learnt.
    /// </remarks>
    public void SaveMapping(SyscallTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            using (SqliteCommand delete = Command("DELETE FROM names", transaction))
            {
                delete.ExecuteNonQuery();
            }

            using (SqliteCommand meta = Command(
                "INSERT INTO meta (key, value) VALUES ('mapping_source', $source) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                transaction))
            {
                meta.Parameters.AddWithValue("$source", table.Source);
                meta.ExecuteNonQuery();
            }

            InsertNames(table.Entries, learnt: null, transaction);
            transaction.Commit();
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    public void SaveNames(IReadOnlyList<KeyValuePair<int, string>> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            InsertNames(names, learnt: true, transaction);
            transaction.Commit();
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <summary>Inserts names, leaving any already present; <paramref name="learnt"/> null means "by number".</summary>
    private void InsertNames(IEnumerable<KeyValuePair<int, string>> names, bool? learnt, SqliteTransaction transaction)
    {
        using SqliteCommand command = Command(
            "INSERT INTO names (name, number, learnt) VALUES ($name, $number, $learnt) ON CONFLICT (name) DO NOTHING",
            transaction);
        SqliteParameter name = command.Parameters.Add("$name", SqliteType.Text);
        SqliteParameter number = command.Parameters.Add("$number", SqliteType.Integer);
        SqliteParameter isLearnt = command.Parameters.Add("$learnt", SqliteType.Integer);
        command.Prepare();
        foreach ((int key, string value) in names)
        {
            ArgumentNullException.ThrowIfNull(value, nameof(names));
            name.Value = value;
            number.Value = key;
            isLearnt.Value = (learnt ?? key >= SyscallTable.FirstLearntNumber) ? 1 : 0;
            command.ExecuteNonQuery();
        }
    }

    private string? ReadMeta(string key, SqliteTransaction? transaction)
    {
        using SqliteCommand command = Command("SELECT value FROM meta WHERE key = $key", transaction);
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteScalar() as string;
    }
}

using Npgsql;
using NpgsqlTypes;
using Sysprint.Mapping;

namespace Sysprint.Storage.Postgres;

public sealed partial class PostgresFingerprintStore
{
    /// <inheritdoc/>
    /// <remarks>Names are added in (number, name) order, names compared byte by byte, as SQLite orders them.</remarks>
    public SyscallTable? LoadMapping() =>
        Run(connection =>
        {
            // One snapshot for the source and the names.
            using NpgsqlTransaction transaction = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
            string? source = ReadMeta(connection, transaction, "mapping_source");
            if (source is null)
            {
                return null;
            }

            var table = new SyscallTable(source);
            using var command = new NpgsqlCommand("SELECT number, name FROM names ORDER BY number, name COLLATE \"C\"", connection, transaction);
            using NpgsqlDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
                table.Add(reader.GetInt32(0), reader.GetString(1));
            }

            return table;
        });

    /// <inheritdoc/>
    /// <remarks>
    /// Replaces every stored name with <see cref="SyscallTable.Entries"/>; names numbered from
    /// <see cref="SyscallTable.FirstLearntNumber"/> are counted as learnt.
    /// </remarks>
    public void SaveMapping(SyscallTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        Write(changesProfiles: true, (connection, transaction) =>
        {
            using (var delete = new NpgsqlCommand("DELETE FROM names", connection, transaction))
            {
                delete.ExecuteNonQuery();
            }

            using (var meta = new NpgsqlCommand(
                "INSERT INTO store_meta (key, value) VALUES ('mapping_source', @source) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                connection, transaction))
            {
                meta.Parameters.AddWithValue("source", table.Source);
                meta.ExecuteNonQuery();
            }

            InsertNames(connection, transaction, table.Entries, learnt: null);
            return (0, true);
        });
    }

    /// <inheritdoc/>
    public void SaveNames(IReadOnlyList<KeyValuePair<int, string>> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        Write(changesProfiles: true, (connection, transaction) =>
        {
            InsertNames(connection, transaction, names, learnt: true);
            return (0, true);
        });
    }

    /// <summary>Inserts names in one statement, leaving any already present; <paramref name="learnt"/> null means "by number".</summary>
    private static void InsertNames(NpgsqlConnection connection, NpgsqlTransaction transaction, IEnumerable<KeyValuePair<int, string>> names, bool? learnt)
    {
        var texts = new List<string>();
        var numbers = new List<int>();
        var learntFlags = new List<bool>();
        foreach ((int number, string name) in names)
        {
            ArgumentNullException.ThrowIfNull(name, nameof(names));
            texts.Add(name);
            numbers.Add(number);
            learntFlags.Add(learnt ?? number >= SyscallTable.FirstLearntNumber);
        }

        if (texts.Count == 0)
        {
            return;
        }

        // Of two entries with one name, the first wins, as one INSERT per entry would have it.
        using var insert = new NpgsqlCommand(
            """
            INSERT INTO names (name, number, learnt)
            SELECT DISTINCT ON (n.name) n.name, n.number, n.learnt
            FROM unnest(@names, @numbers, @learnt) WITH ORDINALITY AS n (name, number, learnt, position)
            ORDER BY n.name, n.position
            ON CONFLICT (name) DO NOTHING
            """,
            connection, transaction);
        insert.Parameters.Add(new NpgsqlParameter<string[]>("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. texts] });
        insert.Parameters.Add(new NpgsqlParameter<int[]>("numbers", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = [.. numbers] });
        insert.Parameters.Add(new NpgsqlParameter<bool[]>("learnt", NpgsqlDbType.Array | NpgsqlDbType.Boolean) { TypedValue = [.. learntFlags] });
        insert.ExecuteNonQuery();
    }

    private static string? ReadMeta(NpgsqlConnection connection, NpgsqlTransaction? transaction, string key)
    {
        using var command = new NpgsqlCommand("SELECT value FROM store_meta WHERE key = @key", connection, transaction);
        command.Parameters.AddWithValue("key", key);
        return command.ExecuteScalar() as string;
    }
}

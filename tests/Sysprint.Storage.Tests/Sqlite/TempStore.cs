using Microsoft.Data.Sqlite;
using Sysprint.Storage.Sqlite;
using Sysprint.TestSupport;

namespace Sysprint.Storage.Tests.Sqlite;

/// <summary>A temporary directory for store files, deleted with everything in it on dispose.</summary>
internal sealed class TempStore : IDisposable
{
    private readonly TempDir _dir = new("sysprint-store-");

    public string Directory => _dir.Root;

    /// <summary>The store file's path (not created until opened).</summary>
    public string Path => _dir.PathOf("store.db");

    public SqliteFingerprintStore Open(bool createIfMissing = true) => SqliteFingerprintStore.Open(Path, createIfMissing);

    /// <summary>A plain connection to the store file, for arranging states the store never writes.</summary>
    public SqliteConnection Raw()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    public object? Scalar(string sql)
    {
        using SqliteConnection connection = Raw();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public void Execute(string sql)
    {
        using SqliteConnection connection = Raw();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose() => _dir.Dispose();
}

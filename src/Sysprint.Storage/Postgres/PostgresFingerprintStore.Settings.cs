using Npgsql;

namespace Sysprint.Storage.Postgres;

public sealed partial class PostgresFingerprintStore
{
    /// <inheritdoc/>
    public string? GetSetting(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return Run(connection =>
        {
            using var command = new NpgsqlCommand("SELECT value FROM store_settings WHERE key = @key", connection);
            command.Parameters.AddWithValue("key", key);
            return command.ExecuteScalar() as string;
        });
    }

    /// <inheritdoc/>
    /// <remarks>A setting (a profile's seal) is part of what agents receive: setting one is a change to the store's revision.</remarks>
    public void SetSetting(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        Write(changesProfiles: true, (connection, transaction) =>
        {
            SetSetting(connection, transaction, key, value);
            return (0, true);
        });
    }

    private static void SetSetting(NpgsqlConnection connection, NpgsqlTransaction transaction, string key, string value)
    {
        using var command = new NpgsqlCommand(
            "INSERT INTO store_settings (key, value) VALUES (@key, @value) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            connection, transaction);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("value", value);
        command.ExecuteNonQuery();
    }
}

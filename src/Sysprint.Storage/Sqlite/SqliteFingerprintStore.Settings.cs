using Microsoft.Data.Sqlite;

namespace Sysprint.Storage.Sqlite;

public sealed partial class SqliteFingerprintStore
{
    // Settings share the meta table with the store's own keys; theirs carry a "setting:" prefix.
    private const string SettingPrefix = "setting:";

    /// <inheritdoc/>
    public string? GetSetting(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        try
        {
            using SqliteTransaction transaction = BeginRead();
            return ReadMeta(SettingPrefix + key, transaction);
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    public void SetSetting(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            SetSetting(key, value, transaction);
            transaction.Commit();
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    private void SetSetting(string key, string value, SqliteTransaction transaction)
    {
        using SqliteCommand command = Command(
            "INSERT INTO meta (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            transaction);
        command.Parameters.AddWithValue("$key", SettingPrefix + key);
        command.Parameters.AddWithValue("$value", value);
        command.ExecuteNonQuery();
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Sysprint.Diagnostics;
using Sysprint.Model;

namespace Sysprint.Storage.Sqlite;

public sealed partial class SqliteFingerprintStore
{
    private const string ProfileColumns = "id, name, window_size, detector, threshold, created";

    /// <inheritdoc/>
    public ProfileInfo? FindProfile(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        try
        {
            return FindProfile(name, null);
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// When a profile of that name already exists (another process created it first) it is returned
    /// unchanged if its window matches.
    /// </remarks>
    /// <exception cref="SysprintException">The profile exists with another window (<see cref="ErrorKind.Usage"/>).</exception>
    public ProfileInfo CreateProfile(string name, int window, string detector, double threshold)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, Fingerprint.MinWindow);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(window, Fingerprint.MaxWindow);
        ArgumentException.ThrowIfNullOrEmpty(detector);
        ThrowIfNaN(threshold);
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            ProfileInfo profile = CreateProfile(name, window, detector, threshold, transaction);
            transaction.Commit();
            return profile;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    private ProfileInfo CreateProfile(string name, int window, string detector, double threshold, SqliteTransaction transaction)
    {
        using (SqliteCommand insert = Command(
            """
            INSERT INTO profiles (name, window_size, detector, threshold, created)
            VALUES ($name, $window, $detector, $threshold, $created)
            ON CONFLICT (name) DO NOTHING
            """,
            transaction))
        {
            insert.Parameters.AddWithValue("$name", name);
            insert.Parameters.AddWithValue("$window", window);
            insert.Parameters.AddWithValue("$detector", detector);
            insert.Parameters.AddWithValue("$threshold", threshold);
            insert.Parameters.AddWithValue("$created", StoreTime.Format(DateTimeOffset.UtcNow));
            insert.ExecuteNonQuery();
        }

        ProfileInfo profile = FindProfile(name, transaction)
            ?? throw new InvalidOperationException($"{Location}: profile '{name}' vanished while being created");
        if (profile.Window != window)
        {
            throw new SysprintException(ErrorKind.Usage,
                $"{Location}: profile '{name}' already exists with window {profile.Window}, not {window}");
        }

        return profile;
    }

    /// <inheritdoc/>
    /// <exception cref="SysprintException">No such profile (<see cref="ErrorKind.Usage"/>).</exception>
    public void SetProfileDetector(string name, string detector, double threshold)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentException.ThrowIfNullOrEmpty(detector);
        ThrowIfNaN(threshold);
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            using SqliteCommand command = Command(
                "UPDATE profiles SET detector = $detector, threshold = $threshold WHERE name = $name", transaction);
            command.Parameters.AddWithValue("$detector", detector);
            command.Parameters.AddWithValue("$threshold", threshold);
            command.Parameters.AddWithValue("$name", name);
            if (command.ExecuteNonQuery() == 0)
            {
                throw new SysprintException(ErrorKind.Usage, $"{Location}: no profile named '{name}'");
            }

            transaction.Commit();
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    /// <remarks>Ordered by name.</remarks>
    public IReadOnlyList<ProfileInfo> ListProfiles()
    {
        try
        {
            using SqliteCommand command = Command($"SELECT {ProfileColumns} FROM profiles ORDER BY name");
            using SqliteDataReader reader = command.ExecuteReader();
            var profiles = new List<ProfileInfo>();
            while (reader.Read())
            {
                profiles.Add(ReadProfile(reader));
            }

            return profiles;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    /// <remarks>One query; each row's text is parsed into a stack buffer, so only the row's string is allocated.</remarks>
    public Fingerprint LoadFingerprint(ProfileInfo profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var fingerprint = new Fingerprint(profile.Window);
        Span<int> gram = stackalloc int[Fingerprint.MaxWindow];
        try
        {
            using SqliteCommand command = Command("SELECT gram FROM grams WHERE profile_id = $profile");
            command.Parameters.AddWithValue("$profile", profile.Id);
            using SqliteDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
                string text = reader.GetString(0);
                int length = GramText.Parse(text, gram);
                if (length < 1 || length > profile.Window)
                {
                    throw Corrupt($"profile '{profile.Name}' (window {profile.Window}) holds the gram '{Printable.Escape(text)}'");
                }

                fingerprint.Add(gram[..length]);
            }

            return fingerprint;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> GramOrigins(long profileId)
    {
        try
        {
            using SqliteCommand command = Command(
                "SELECT g.gram, l.path FROM grams g JOIN logs l ON l.id = g.first_log_id WHERE g.profile_id = $profile");
            command.Parameters.AddWithValue("$profile", profileId);
            using SqliteDataReader reader = command.ExecuteReader();
            var origins = new Dictionary<string, string>(StringComparer.Ordinal);
            while (reader.Read())
            {
                origins[reader.GetString(0)] = reader.GetString(1);
            }

            return origins;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <inheritdoc/>
    public bool DeleteProfile(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            if (!DeleteProfile(name, transaction))
            {
                return false;
            }

            transaction.Commit();
            return true;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    private bool DeleteProfile(string name, SqliteTransaction transaction)
    {
        ProfileInfo? profile = FindProfile(name, transaction);
        if (profile is null)
        {
            return false;
        }

        // Children first: grams and window counts name the logs, logs name the profile.
        using SqliteCommand delete = Command(
            """
            DELETE FROM log_windows WHERE log_id IN (SELECT id FROM logs WHERE profile_id = $profile);
            DELETE FROM grams WHERE profile_id = $profile;
            DELETE FROM logs WHERE profile_id = $profile;
            DELETE FROM profiles WHERE id = $profile;
            DELETE FROM meta WHERE key = $seal;
            """,
            transaction);
        delete.Parameters.AddWithValue("$profile", profile.Id);
        delete.Parameters.AddWithValue("$seal", SettingPrefix + Integrity.Seal.SettingKey(name));
        delete.ExecuteNonQuery();
        return true;
    }

    /// <inheritdoc/>
    /// <remarks>One query: the profile's id, detector and threshold, its logs (count, newest id), its grams counted, and its seal.</remarks>
    public string? ProfileVersion(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        try
        {
            using SqliteCommand command = Command(
                """
                SELECT p.id, p.detector, p.threshold,
                       (SELECT COUNT(*) FROM logs WHERE profile_id = p.id),
                       (SELECT COALESCE(MAX(id), 0) FROM logs WHERE profile_id = p.id),
                       (SELECT COUNT(*) FROM grams WHERE profile_id = p.id),
                       (SELECT value FROM meta WHERE key = $seal)
                FROM profiles p WHERE p.name = $name
                """);
            command.Parameters.AddWithValue("$name", name);
            command.Parameters.AddWithValue("$seal", SettingPrefix + Integrity.Seal.SettingKey(name));
            using SqliteDataReader reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            string seal = reader.IsDBNull(6) ? "" : reader.GetString(6);
            return string.Create(CultureInfo.InvariantCulture,
                $"{reader.GetInt64(0)}/{reader.GetString(1)}/{reader.GetDouble(2):R}/{reader.GetInt64(3)}/{reader.GetInt64(4)}/{reader.GetInt64(5)}/{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seal)))}");
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    private ProfileInfo? FindProfile(string name, SqliteTransaction? transaction)
    {
        using SqliteCommand command = Command($"SELECT {ProfileColumns} FROM profiles WHERE name = $name", transaction);
        command.Parameters.AddWithValue("$name", name);
        using SqliteDataReader reader = command.ExecuteReader();
        return reader.Read() ? ReadProfile(reader) : null;
    }

    private ProfileInfo ReadProfile(SqliteDataReader reader) =>
        new(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3), reader.GetDouble(4),
            ReadTime(reader, 5, "profiles.created"));

    private static void ThrowIfNaN(double value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null)
    {
        // SQLite stores NaN as NULL, which the NOT NULL columns reject.
        if (double.IsNaN(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "must be a number, not NaN");
        }
    }
}

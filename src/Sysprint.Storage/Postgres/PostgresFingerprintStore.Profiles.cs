using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Sysprint.Diagnostics;
using Sysprint.Model;
using Sysprint.Storage.Sqlite;

namespace Sysprint.Storage.Postgres;

public sealed partial class PostgresFingerprintStore
{
    private const string ProfileColumns = "id, name, window_size, detector, threshold, created";

    /// <inheritdoc/>
    public ProfileInfo? FindProfile(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Run(connection => FindProfile(connection, null, name));
    }

    /// <inheritdoc/>
    /// <remarks>When a profile of that name already exists (another process created it first) it is returned unchanged if its window matches.</remarks>
    /// <exception cref="SysprintException">The profile exists with another window (<see cref="ErrorKind.Usage"/>).</exception>
    public ProfileInfo CreateProfile(string name, int window, string detector, double threshold)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, Fingerprint.MinWindow);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(window, Fingerprint.MaxWindow);
        ArgumentException.ThrowIfNullOrEmpty(detector);
        ThrowIfNaN(threshold);
        return Write(changesProfiles: true, (connection, transaction) => CreateProfile(connection, transaction, name, window, detector, threshold));
    }

    /// <summary>Creates the profile within the caller's transaction; true when it was created (not found).</summary>
    private (ProfileInfo Profile, bool Created) CreateProfile(NpgsqlConnection connection, NpgsqlTransaction transaction, string name, int window, string detector,
        double threshold)
    {
        int created;
        using (var insert = new NpgsqlCommand(
            """
            INSERT INTO profiles (name, window_size, detector, threshold, created)
            VALUES (@name, @window, @detector, @threshold, @created)
            ON CONFLICT (name) DO NOTHING
            """,
            connection, transaction))
        {
            insert.Parameters.AddWithValue("name", name);
            insert.Parameters.AddWithValue("window", window);
            insert.Parameters.AddWithValue("detector", detector);
            insert.Parameters.AddWithValue("threshold", threshold);
            AddTime(insert, "created", DateTimeOffset.UtcNow);
            created = insert.ExecuteNonQuery();
        }

        ProfileInfo profile = FindProfile(connection, transaction, name)
            ?? throw new InvalidOperationException($"{Location}: profile '{name}' vanished while being created");
        if (profile.Window != window)
        {
            throw new SysprintException(ErrorKind.Usage, $"{Location}: profile '{name}' already exists with window {profile.Window}, not {window}");
        }

        return (profile, created > 0);
    }

    /// <inheritdoc/>
    /// <exception cref="SysprintException">No such profile (<see cref="ErrorKind.Usage"/>).</exception>
    public void SetProfileDetector(string name, string detector, double threshold)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentException.ThrowIfNullOrEmpty(detector);
        ThrowIfNaN(threshold);
        Write(changesProfiles: true, (connection, transaction) =>
        {
            using var command = new NpgsqlCommand("UPDATE profiles SET detector = @detector, threshold = @threshold WHERE name = @name", connection, transaction);
            command.Parameters.AddWithValue("detector", detector);
            command.Parameters.AddWithValue("threshold", threshold);
            command.Parameters.AddWithValue("name", name);
            if (command.ExecuteNonQuery() == 0)
            {
                throw new SysprintException(ErrorKind.Usage, $"{Location}: no profile named '{name}'");
            }

            return (0, true);
        });
    }

    /// <inheritdoc/>
    /// <remarks>Ordered by name, byte by byte.</remarks>
    public IReadOnlyList<ProfileInfo> ListProfiles() =>
        Run<IReadOnlyList<ProfileInfo>>(connection =>
        {
            using var command = new NpgsqlCommand($"SELECT {ProfileColumns} FROM profiles ORDER BY name COLLATE \"C\"", connection);
            using NpgsqlDataReader reader = command.ExecuteReader();
            var profiles = new List<ProfileInfo>();
            while (reader.Read())
            {
                profiles.Add(ReadProfile(reader));
            }

            return profiles;
        });

    /// <inheritdoc/>
    /// <remarks>One query: the profile's id, detector and threshold, its logs (count, newest id), its grams counted, and its seal.</remarks>
    public string? ProfileVersion(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Run(connection =>
        {
            using var command = new NpgsqlCommand(
                """
                SELECT p.id, p.detector, p.threshold,
                    (SELECT COUNT(*) FROM logs WHERE profile_id = p.id), (SELECT COALESCE(MAX(id), 0) FROM logs WHERE profile_id = p.id),
                    (SELECT COUNT(*) FROM grams WHERE profile_id = p.id), (SELECT value FROM store_settings WHERE key = @seal)
                FROM profiles p WHERE p.name = @name
                """,
                connection);
            command.Parameters.AddWithValue("name", name);
            command.Parameters.AddWithValue("seal", Integrity.Seal.SettingKey(name));
            using NpgsqlDataReader reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            string seal = reader.IsDBNull(6) ? "" : reader.GetString(6);
            return string.Create(CultureInfo.InvariantCulture,
                $"{reader.GetInt64(0)}/{reader.GetString(1)}/{reader.GetDouble(2):R}/{reader.GetInt64(3)}/{reader.GetInt64(4)}/{reader.GetInt64(5)}/{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seal)))}");
        });
    }

    /// <inheritdoc/>
    public Fingerprint LoadFingerprint(ProfileInfo profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return Run(connection =>
        {
            var fingerprint = new Fingerprint(profile.Window);
            Span<int> gram = stackalloc int[Fingerprint.MaxWindow];
            using var command = new NpgsqlCommand("SELECT gram FROM grams WHERE profile_id = @profile", connection);
            command.Parameters.AddWithValue("profile", profile.Id);
            using NpgsqlDataReader reader = command.ExecuteReader();
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
        });
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> GramOrigins(long profileId) =>
        Run<IReadOnlyDictionary<string, string>>(connection =>
        {
            using var command = new NpgsqlCommand(
                "SELECT g.gram, l.path FROM grams g JOIN logs l ON l.id = g.first_log_id WHERE g.profile_id = @profile", connection);
            command.Parameters.AddWithValue("profile", profileId);
            using NpgsqlDataReader reader = command.ExecuteReader();
            var origins = new Dictionary<string, string>(StringComparer.Ordinal);
            while (reader.Read())
            {
                origins[reader.GetString(0)] = reader.GetString(1);
            }

            return origins;
        });

    /// <inheritdoc/>
    /// <remarks>A change to what agents receive: the store's revision goes up when a profile was deleted.</remarks>
    public bool DeleteProfile(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Write(changesProfiles: true, (connection, transaction) =>
        {
            bool deleted = DeleteProfile(connection, transaction, name);
            return (deleted, deleted);
        });
    }

    /// <summary>Deletes the profile within the caller's transaction; false when there is none.</summary>
    private static bool DeleteProfile(NpgsqlConnection connection, NpgsqlTransaction transaction, string name)
    {
        ProfileInfo? profile = FindProfile(connection, transaction, name);
        if (profile is null)
        {
            return false;
        }

        // Children first: grams name the logs, logs (with their window counts) name the profile.
        using var delete = new NpgsqlCommand(
            """
            DELETE FROM grams WHERE profile_id = @profile;
            DELETE FROM logs WHERE profile_id = @profile;
            DELETE FROM profiles WHERE id = @profile;
            DELETE FROM store_settings WHERE key = @seal;
            """,
            connection, transaction);
        delete.Parameters.AddWithValue("profile", profile.Id);
        delete.Parameters.AddWithValue("seal", Integrity.Seal.SettingKey(name));
        delete.ExecuteNonQuery();
        return true;
    }

    private static ProfileInfo? FindProfile(NpgsqlConnection connection, NpgsqlTransaction? transaction, string name)
    {
        using var command = new NpgsqlCommand($"SELECT {ProfileColumns} FROM profiles WHERE name = @name", connection, transaction);
        command.Parameters.AddWithValue("name", name);
        using NpgsqlDataReader reader = command.ExecuteReader();
        return reader.Read() ? ReadProfile(reader) : null;
    }

    private static ProfileInfo ReadProfile(NpgsqlDataReader reader) =>
        new(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3), reader.GetDouble(4), ReadTime(reader, 5));
}

using System.Globalization;
using System.Net.Sockets;
using Npgsql;
using NpgsqlTypes;
using Sysprint.Diagnostics;

namespace Sysprint.Storage.Postgres;

/// <summary>
/// The fingerprint store on PostgreSQL, for fleets: the same contract as SQLite's
/// (<see cref="IFingerprintStore"/>), so <c>train</c>, <c>check</c>, <c>profile</c>, <c>seal</c>,
/// <c>export</c>/<c>import</c>, <c>alerts</c> and <c>stats</c> take <c>--db postgres://...</c>.
/// Holds a pooled <see cref="NpgsqlDataSource"/> and takes a connection per call, so one instance
/// may serve several threads (the server's requests) and any number of processes share a database.
/// Every statement takes its values as parameters.
/// </summary>
/// <remarks>
/// Writes to what agents receive (the mapping, profiles, fingerprints, settings) run one at a time
/// across every process, under a transaction-scoped advisory lock: learning the same log from two
/// hosts at once stores it once, and the second finds it learnt. Each such write adds 1 to the
/// store's revision (<see cref="GetRevision"/>) and notifies <see cref="ChangeChannel"/> on commit.
/// A wait for that lock longer than the busy timeout is the store being locked (74).
/// </remarks>
public sealed partial class PostgresFingerprintStore : IFingerprintStore, IFleetView
{
    /// <summary>The channel a committed change to profiles is announced on (<c>LISTEN sysprint_store</c>); the payload is the new revision.</summary>
    public const string ChangeChannel = "sysprint_store";

    /// <summary>The advisory lock of writes to fingerprints ("SYSPLEAR" in ASCII).</summary>
    private const long WriteLock = 0x535953504C454152;

    private readonly NpgsqlDataSource _source;
    private readonly bool _ownsSource;
    private readonly int _busyTimeoutSeconds;
    private bool _disposed;

    private PostgresFingerprintStore(NpgsqlDataSource source, bool ownsSource, string location, int busyTimeoutSeconds)
    {
        _source = source;
        _ownsSource = ownsSource;
        Location = location;
        _busyTimeoutSeconds = busyTimeoutSeconds;
    }

    /// <summary>The store part's schema version this sysprint writes and reads.</summary>
    public static int CurrentSchemaVersion => PostgresSchema.StoreVersion;

    /// <inheritdoc/>
    public string Location { get; }

    /// <summary>This store: every host's alerts meet here.</summary>
    public IFleetView? FleetView => this;

    /// <summary>
    /// Connects to <paramref name="db"/> (a URL or connection string) and creates or migrates the
    /// tables. The database itself must exist (<c>createdb</c>); its tables are created whether or not
    /// <see cref="StoreOpenOptions.CreateIfMissing"/> is set, as a server's schema is.
    /// </summary>
    /// <exception cref="SysprintException">Unreachable, refused, or newer than this build (74); a malformed address (64).</exception>
    public static PostgresFingerprintStore Open(string db, StoreOpenOptions options)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(options);
        NpgsqlConnectionStringBuilder settings = PostgresLocation.Parse(db);
        string location = PostgresLocation.Describe(settings);
        settings.ApplicationName ??= "sysprint";
        int seconds = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds));

        // A lock wait (another process learning) gives up after the busy timeout, as SQLite's does.
        string lockTimeout = string.Create(CultureInfo.InvariantCulture, $"-c lock_timeout={seconds * 1000L}");
        settings.Options = string.IsNullOrEmpty(settings.Options) ? lockTimeout : settings.Options + " " + lockTimeout;
        NpgsqlDataSource source = NpgsqlDataSource.Create(settings);
        var store = new PostgresFingerprintStore(source, ownsSource: true, location, seconds);
        try
        {
            store.Run<int>(_ =>
            {
                PostgresSchema.MigrateAsync(source, location, CancellationToken.None).GetAwaiter().GetResult();
                return 0;
            });
            return store;
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The store over a data source the caller owns and has migrated (<c>serve</c> shares its pool
    /// with the fleet's tables); disposing the store leaves the source open.
    /// </summary>
    public static PostgresFingerprintStore Over(NpgsqlDataSource source, string location)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(location);
        return new PostgresFingerprintStore(source, ownsSource: false, location, (int)StoreOpenOptions.DefaultBusyTimeout.TotalSeconds);
    }

    /// <summary>How many changes to what agents receive were committed so far (0 for a new store).</summary>
    public long GetRevision() =>
        Run(connection =>
        {
            using var command = new NpgsqlCommand("SELECT revision FROM store_revision WHERE id = 1", connection);
            return command.ExecuteScalar() is long revision ? revision : 0;
        });

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_ownsSource)
        {
            _source.Dispose();
        }
    }

    /// <summary>Runs a read on a pooled connection, turning failures the user can act on into store errors.</summary>
    private T Run<T>(Func<NpgsqlConnection, T> call)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            using NpgsqlConnection connection = _source.OpenConnection();
            return call(connection);
        }
        catch (Exception e) when (Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>
    /// Runs <paramref name="call"/> in one transaction. With <paramref name="changesProfiles"/>, it
    /// first takes the write lock, and the revision goes up by one in the same transaction.
    /// Committed only when <paramref name="call"/> returns normally and says so (a conflict found may
    /// leave nothing to write).
    /// </summary>
    private T Write<T>(bool changesProfiles, Func<NpgsqlConnection, NpgsqlTransaction, (T Result, bool Commit)> call) =>
        Run(connection =>
        {
            using NpgsqlTransaction transaction = connection.BeginTransaction();
            if (changesProfiles)
            {
                using var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction);
                lockCommand.Parameters.AddWithValue("key", WriteLock);
                lockCommand.ExecuteNonQuery();
            }

            (T result, bool commit) = call(connection, transaction);
            if (!commit)
            {
                transaction.Rollback();
                return result;
            }

            if (changesProfiles)
            {
                using var bump = new NpgsqlCommand(
                    $"""
                    WITH r AS (UPDATE store_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision)
                    SELECT pg_notify('{ChangeChannel}', revision::text) FROM r
                    """,
                    connection, transaction);
                bump.ExecuteNonQuery();
            }

            transaction.Commit();
            return result;
        });

    private Exception? Translate(Exception e) => e switch
    {
        PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable } p => new SysprintException(ErrorKind.StoreUnavailable,
            string.Create(CultureInfo.InvariantCulture,
                $"{Location}: the store is locked by another process (waited {_busyTimeoutSeconds} s); try again when it has finished"), p),
        PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification
            or PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.TooManyConnections
            or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
            or PostgresErrorCodes.ReadOnlySqlTransaction or PostgresErrorCodes.DiskFull or PostgresErrorCodes.UndefinedTable
            or PostgresErrorCodes.UndefinedColumn } p =>
            new SysprintException(ErrorKind.StoreUnavailable, $"{Location}: {p.MessageText} ({p.SqlState})", p),
        PostgresException { SqlState: PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.ForeignKeyViolation
            or PostgresErrorCodes.NotNullViolation or PostgresErrorCodes.CheckViolation } p =>
            new InvalidOperationException($"{Location}: {p.MessageText}", p),
        NpgsqlException n when n is not PostgresException && (n.InnerException is SocketException or TimeoutException or IOException || n.IsTransient) =>
            new SysprintException(ErrorKind.StoreUnavailable, $"{Location}: cannot reach PostgreSQL: {(n.InnerException ?? n).Message}", n),
        _ => null,
    };

    private SysprintException Corrupt(string what) => new(ErrorKind.StoreUnavailable, $"{Location}: the store is corrupt: {what}");

    private static void AddText(NpgsqlCommand command, string name, string? value) =>
        command.Parameters.Add(new NpgsqlParameter<string?>(name, NpgsqlDbType.Text) { TypedValue = value });

    private static void AddTime(NpgsqlCommand command, string name, DateTimeOffset value) =>
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>(name, NpgsqlDbType.TimestampTz) { TypedValue = value.ToUniversalTime() });

    private static string? NullableText(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static DateTimeOffset ReadTime(NpgsqlDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);

    private static void ThrowIfNaN(double value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null)
    {
        // Kept as SQLite's store does: a NaN threshold or score is a caller's bug, not a value.
        if (double.IsNaN(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "must be a number, not NaN");
        }
    }
}

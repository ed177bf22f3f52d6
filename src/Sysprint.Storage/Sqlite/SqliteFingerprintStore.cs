using System.Globalization;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Sysprint.Diagnostics;

namespace Sysprint.Storage.Sqlite;

/// <summary>
/// The default store: one SQLite file (WAL mode), shared safely by concurrent <c>train</c> and
/// <c>check</c> processes. Each instance owns one connection and is not thread-safe: give each
/// thread its own instance.
/// </summary>
/// <remarks>
/// Every SQLite failure leaves as a <see cref="SysprintException"/>: locked past the busy timeout,
/// not a database, corrupt, newer schema or unwritable are <see cref="ErrorKind.StoreUnavailable"/>.
/// A constraint broken by the caller (a gram longer than the window, an unknown profile id) is an
/// <see cref="ArgumentException"/> or <see cref="InvalidOperationException"/>.
/// </remarks>
public sealed partial class SqliteFingerprintStore : IFingerprintStore
{
    /// <summary>How many seconds a command waits for another process's write to finish before giving up.</summary>
    public const int DefaultBusyTimeoutSeconds = 10;

    private readonly SqliteConnection _connection;
    private readonly int _busyTimeoutSeconds;
    private bool _disposed;

    private SqliteFingerprintStore(string path, SqliteConnection connection, int busyTimeoutSeconds)
    {
        Location = path;
        _connection = connection;
        _busyTimeoutSeconds = busyTimeoutSeconds;
    }

    /// <summary>The schema version this sysprint writes and reads.</summary>
    public static int CurrentSchemaVersion => SqliteSchema.CurrentVersion;

    /// <inheritdoc/>
    public string Location { get; }

    /// <summary>None: a single host's store has no fleet.</summary>
    public IFleetView? FleetView => null;

    /// <summary>
    /// Opens the store at <paramref name="path"/>, creating it (owner-only, mode 0600, with its
    /// directory) when <paramref name="createIfMissing"/> is set, and upgrading an older schema.
    /// </summary>
    /// <exception cref="SysprintException">
    /// The file is missing and may not be created (<see cref="ErrorKind.InputMissing"/>); it is not a
    /// sysprint store, corrupt, of a newer schema, locked or unwritable (<see cref="ErrorKind.StoreUnavailable"/>).
    /// </exception>
    public static SqliteFingerprintStore Open(string path, bool createIfMissing) =>
        Open(path, createIfMissing, DefaultBusyTimeoutSeconds);

    public static SqliteFingerprintStore Open(string path, bool createIfMissing, int busyTimeoutSeconds)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(busyTimeoutSeconds, 1);
        if (Directory.Exists(path))
        {
            throw new SysprintException(ErrorKind.StoreUnavailable, $"{path}: is a directory, not a sysprint store");
        }

        if (!File.Exists(path))
        {
            if (!createIfMissing)
            {
                throw new SysprintException(ErrorKind.InputMissing, $"{path}: no such store; run 'sysprint train' first");
            }

            CreateOwnerOnlyFile(path);
        }

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            // The file exists by now; never let SQLite create a world-readable one behind our back.
            Mode = SqliteOpenMode.ReadWrite,
            // Pooled connections would keep the file open (and locked on Windows) after Dispose.
            Pooling = false,
            ForeignKeys = true,
            // Microsoft.Data.Sqlite retries a busy statement until this many seconds have passed;
            // that also covers the busy results SQLite returns without calling its busy handler.
            DefaultTimeout = busyTimeoutSeconds,
        };

        SqliteConnection? connection = new(builder.ToString());
        try
        {
            connection.Open();
            ExecutePragma(connection, "PRAGMA busy_timeout = " + (busyTimeoutSeconds * 1000L).ToString(CultureInfo.InvariantCulture));
            int version = SqliteSchema.Check(connection, path);

            // WAL lets readers run beside one writer; set only once the file is known to be ours.
            ExecutePragma(connection, "PRAGMA journal_mode = WAL");

            // In WAL mode NORMAL never corrupts the store; a power cut may lose the last commits only.
            ExecutePragma(connection, "PRAGMA synchronous = NORMAL");
            if (version < SqliteSchema.CurrentVersion)
            {
                SqliteSchema.Upgrade(connection, path);
            }

            var store = new SqliteFingerprintStore(path, connection, busyTimeoutSeconds);
            connection = null;
            return store;
        }
        catch (SqliteException ex)
        {
            throw Translate(path, busyTimeoutSeconds, ex);
        }
        finally
        {
            connection?.Dispose();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _connection.Dispose();
    }

    private static void CreateOwnerOnlyFile(string path)
    {
        try
        {
            string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
            {
                if (OperatingSystem.IsWindows())
                {
                    Directory.CreateDirectory(directory);
                }
                else
                {
                    Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }

            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (new FileStream(path, options))
            {
            }

            if (!OperatingSystem.IsWindows())
            {
                // The umask can only clear bits; make the mode exactly 0600 whatever it is.
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created the store first; opening it is all that is left to do.
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SysprintException(ErrorKind.StoreUnavailable, $"{path}: cannot create the store: {ex.Message}", ex);
        }
    }

    private static void ExecutePragma(SqliteConnection connection, string pragma)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = pragma;
        command.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, SqliteTransaction? transaction = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    private SqliteTransaction BeginWrite()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);

        // IMMEDIATE takes the write lock up front, so the busy timeout applies; a deferred
        // transaction that reads and then writes fails at once if another writer got in between.
        return _connection.BeginTransaction(deferred: false);
    }

    private SqliteTransaction BeginRead()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);

        // One snapshot for several SELECTs; in WAL mode it never waits for writers.
        return _connection.BeginTransaction(deferred: true);
    }

    private Exception Translate(SqliteException ex) => Translate(Location, _busyTimeoutSeconds, ex);

    private static Exception Translate(string path, int busyTimeoutSeconds, SqliteException ex)
    {
        int code = ex.SqliteErrorCode;
        if (code is raw.SQLITE_BUSY or raw.SQLITE_LOCKED)
        {
            return new SysprintException(ErrorKind.StoreUnavailable,
                $"{path}: the store is locked by another process (waited {busyTimeoutSeconds.ToString(CultureInfo.InvariantCulture)} s); try again when it has finished",
                ex);
        }

        if (code == raw.SQLITE_NOTADB)
        {
            return new SysprintException(ErrorKind.StoreUnavailable, $"{path}: not a sysprint store (file is not a database)", ex);
        }

        if (code == raw.SQLITE_CORRUPT)
        {
            return new SysprintException(ErrorKind.StoreUnavailable, $"{path}: the store is corrupt (database disk image is malformed)", ex);
        }

        if (code == raw.SQLITE_CONSTRAINT)
        {
            // Our own statements avoid conflicts; a broken constraint is a caller's bad argument.
            return new InvalidOperationException($"{path}: {ErrorText(ex)}", ex);
        }

        return new SysprintException(ErrorKind.StoreUnavailable, $"{path}: cannot use the store: {ErrorText(ex)}", ex);
    }

    private static string ErrorText(SqliteException ex)
    {
        // SqliteException.Message reads "SQLite Error 8: 'attempt to write a readonly database'.";
        // users need only the quoted part.
        string message = ex.Message;
        int open = message.IndexOf('\'', StringComparison.Ordinal);
        int close = message.LastIndexOf('\'');
        return open >= 0 && close > open ? message[(open + 1)..close] : message;
    }

    private SysprintException Corrupt(string what) =>
        new(ErrorKind.StoreUnavailable, $"{Location}: the store is corrupt: {what}");

    private DateTimeOffset ReadTime(SqliteDataReader reader, int ordinal, string column)
    {
        string text = reader.GetString(ordinal);
        return StoreTime.TryParse(text, out DateTimeOffset time)
            ? time
            : throw Corrupt($"{column} '{Printable.Escape(text)}' is not an ISO-8601 time");
    }
}

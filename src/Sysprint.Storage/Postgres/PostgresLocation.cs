using System.Globalization;
using Npgsql;
using Sysprint.Diagnostics;

namespace Sysprint.Storage.Postgres;

/// <summary>
/// Where a PostgreSQL store lives, given as a URL (<c>postgres://user:password@host:port/db?sslmode=require</c>,
/// <c>postgresql://</c> too, as libpq reads them) or as an Npgsql connection string
/// (<c>Host=db1;Database=sysprint;Username=sysprint</c>).
/// </summary>
public static class PostgresLocation
{
    /// <summary>True when <paramref name="db"/> names a PostgreSQL store rather than a SQLite file.</summary>
    public static bool IsPostgres(string? db) =>
        db is not null
        && (db.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || db.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || db.StartsWith("Host=", StringComparison.OrdinalIgnoreCase)
            || db.Contains(";Host=", StringComparison.OrdinalIgnoreCase)
            || db.Contains("; Host=", StringComparison.OrdinalIgnoreCase));

    /// <summary>The Npgsql connection settings for <paramref name="db"/>.</summary>
    /// <exception cref="SysprintException">Not a URL or connection string Sysprint understands (64).</exception>
    public static NpgsqlConnectionStringBuilder Parse(string db)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (!db.Contains("://", StringComparison.Ordinal))
        {
            try
            {
                return new NpgsqlConnectionStringBuilder(db);
            }
            catch (ArgumentException e)
            {
                throw new SysprintException(ErrorKind.Usage, $"--db: not a PostgreSQL connection string: {e.Message}", e);
            }
        }

        if (!Uri.TryCreate(db, UriKind.Absolute, out Uri? url) || (url.Scheme != "postgres" && url.Scheme != "postgresql") || string.IsNullOrEmpty(url.Host))
        {
            throw new SysprintException(ErrorKind.Usage, $"--db '{Printable.Escape(Redact(db))}': expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = url.Host,
            Port = url.IsDefaultPort || url.Port < 0 ? 5432 : url.Port,
            Database = url.AbsolutePath.Trim('/') is { Length: > 0 } name ? Uri.UnescapeDataString(name) : "sysprint",
        };
        if (url.UserInfo.Length > 0)
        {
            string[] parts = url.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        foreach (string pair in url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = pair.Split('=', 2);
            string key = Uri.UnescapeDataString(kv[0]);
            string value = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            switch (key)
            {
                case "sslmode":
                    builder.SslMode = value switch
                    {
                        "disable" => SslMode.Disable,
                        "allow" => SslMode.Allow,
                        "prefer" => SslMode.Prefer,
                        "require" => SslMode.Require,
                        "verify-ca" => SslMode.VerifyCA,
                        "verify-full" => SslMode.VerifyFull,
                        _ => throw new SysprintException(ErrorKind.Usage,
                            $"--db: sslmode '{Printable.Escape(value)}': expected disable, allow, prefer, require, verify-ca or verify-full"),
                    };
                    break;
                case "sslrootcert":
                    builder.RootCertificate = value;
                    break;
                case "application_name":
                    builder.ApplicationName = value;
                    break;
                case "connect_timeout":
                    builder.Timeout = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) ? seconds
                        : throw new SysprintException(ErrorKind.Usage, $"--db: connect_timeout '{Printable.Escape(value)}': expected whole seconds");
                    break;
                default:
                    throw new SysprintException(ErrorKind.Usage,
                        $"--db: unknown parameter '{Printable.Escape(key)}': expected sslmode, sslrootcert, application_name or connect_timeout");
            }
        }

        return builder;
    }

    /// <summary>The store's address for messages: <c>postgres://user@host:port/db</c>, never the password.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        string user = string.IsNullOrEmpty(builder.Username) ? "" : builder.Username + "@";
        return string.Create(CultureInfo.InvariantCulture, $"postgres://{user}{builder.Host}:{builder.Port}/{builder.Database}");
    }

    /// <summary>A URL with its password replaced by <c>***</c>, for error messages.</summary>
    private static string Redact(string db)
    {
        int at = db.IndexOf('@', StringComparison.Ordinal);
        int scheme = db.IndexOf("://", StringComparison.Ordinal);
        if (at < 0 || scheme < 0 || at < scheme)
        {
            return db;
        }

        int colon = db.IndexOf(':', scheme + 3);
        return colon > 0 && colon < at ? db[..(colon + 1)] + "***" + db[at..] : db;
    }
}

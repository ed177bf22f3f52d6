using Sysprint.Diagnostics;
using Sysprint.Storage;
using Sysprint.Storage.Postgres;

namespace Sysprint.Cli;

/// <summary>Opens the fleet's PostgreSQL store for <c>serve</c>, <c>enroll-token</c> and <c>hosts</c>: <c>--db</c>, else <c>$SYSPRINT_DB</c>.</summary>
internal static class FleetStoreLocator
{
    /// <exception cref="SysprintException">Not a PostgreSQL address (64), or the store cannot be used (74).</exception>
    public static PostgresFleetStore Open(string? db, string command, CliContext context)
    {
        StoreAddress address = StoreLocator.Resolve(db, context);
        if (!PostgresLocation.IsPostgres(address.Text))
        {
            throw new SysprintException(ErrorKind.Usage,
                $"{command} needs the fleet's PostgreSQL store: --db postgres://USER@HOST[:PORT]/DATABASE (or $SYSPRINT_DB), not '{Printable.Escape(address.Redacted)}'");
        }

        return PostgresFleetStore.OpenAsync(address.Text, CancellationToken.None).GetAwaiter().GetResult();
    }
}

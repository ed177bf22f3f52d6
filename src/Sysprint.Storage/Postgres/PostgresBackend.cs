using Sysprint.Diagnostics;

namespace Sysprint.Storage.Postgres;

/// <summary>
/// The PostgreSQL backend: <c>postgres://</c> and <c>postgresql://</c> addresses and Npgsql
/// connection strings (<see cref="PostgresLocation"/>). The fleet's tables are opened by
/// <see cref="PostgresFleetStore"/>, the fingerprints, checks and the one alert history by
/// <see cref="PostgresFingerprintStore"/>; the live agent keeps its outbox in a local SQLite file.
/// </summary>
public sealed class PostgresBackend : IStoreBackend
{
    /// <inheritdoc/>
    public string Name => "PostgreSQL";

    /// <inheritdoc/>
    public string AddressForms => "postgres://USER@HOST[:PORT]/DATABASE or Host=...;Database=...";

    /// <inheritdoc/>
    public bool Claims(StoreAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.Kind switch
        {
            StoreAddressKind.Url => address.Scheme is "postgres" or "postgresql",
            StoreAddressKind.ConnectionString => PostgresLocation.IsPostgres(address.Text),
            _ => false,
        };
    }

    /// <inheritdoc/>
    public IFingerprintStore Open(StoreAddress address, StoreOpenOptions options)
    {
        ArgumentNullException.ThrowIfNull(address);
        return PostgresFingerprintStore.Open(address.Text, options);
    }

    /// <inheritdoc/>
    public IAgentStore OpenAgent(StoreAddress address, StoreOpenOptions options)
    {
        ArgumentNullException.ThrowIfNull(address);
        throw new SysprintException(ErrorKind.Usage,
            $"{address.Redacted}: the agent keeps its outbox and watched files in a local SQLite file, not in PostgreSQL");
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> LocalFiles(StoreAddress address) => [];
}

using Sysprint.Diagnostics;
using Sysprint.Storage.Postgres;
using Sysprint.Storage.Sqlite;

namespace Sysprint.Storage;

/// <summary>
/// The store factory: finds the backend that serves an address (<c>--db</c>, <c>$SYSPRINT_DB</c>)
/// and opens it. An address no backend claims is refused (usage error), never taken for a file.
/// </summary>
public sealed class StoreBackends
{
    private readonly IStoreBackend[] _backends;

    public StoreBackends(IEnumerable<IStoreBackend> backends)
    {
        ArgumentNullException.ThrowIfNull(backends);
        _backends = [.. backends];
    }

    /// <summary>Every backend this build of sysprint has, in the order they are asked.</summary>
    public static StoreBackends Default { get; } = new([new SqliteBackend(), new PostgresBackend()]);

    public IReadOnlyList<IStoreBackend> All => _backends;

    /// <summary>
    /// The backend that serves <paramref name="address"/>.
    /// </summary>
    /// <exception cref="SysprintException">No backend serves it (<see cref="ErrorKind.Usage"/>), naming the forms that are served.</exception>
    public IStoreBackend Find(StoreAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        foreach (IStoreBackend backend in _backends)
        {
            if (backend.Claims(address))
            {
                return backend;
            }
        }

        string what = address.Kind switch
        {
            StoreAddressKind.Url => $"'{address.Scheme}://' addresses",
            StoreAddressKind.ConnectionString => "connection strings",
            _ => "file paths",
        };
        string served = string.Join("; ", _backends.Select(b => $"{b.AddressForms} ({b.Name})"));
        throw new SysprintException(ErrorKind.Usage, $"{address.Redacted}: no store for {what} in this sysprint; it knows {served}");
    }

    /// <summary>Opens the fingerprint store at <paramref name="address"/> with the backend that serves it.</summary>
    public IFingerprintStore Open(StoreAddress address, StoreOpenOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Find(address).Open(address, options);
    }

    /// <summary>Opens the agent's tables at <paramref name="address"/> with the backend that serves it.</summary>
    public IAgentStore OpenAgent(StoreAddress address, StoreOpenOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Find(address).OpenAgent(address, options);
    }
}

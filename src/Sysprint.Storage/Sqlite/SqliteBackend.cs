namespace Sysprint.Storage.Sqlite;

/// <summary>The SQLite backend: a store is one file (with SQLite's <c>-wal</c> and <c>-shm</c> beside it in WAL mode).</summary>
public sealed class SqliteBackend : IStoreBackend
{
    /// <inheritdoc/>
    public string Name => "SQLite";

    /// <inheritdoc/>
    public string AddressForms => "a file path";

    /// <inheritdoc/>
    public bool Claims(StoreAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.Kind == StoreAddressKind.File;
    }

    /// <inheritdoc/>
    public IFingerprintStore Open(StoreAddress address, StoreOpenOptions options) => OpenFile(address, options);

    /// <inheritdoc/>
    /// <remarks>The agent's tables live in the same file, read and written over another connection.</remarks>
    public IAgentStore OpenAgent(StoreAddress address, StoreOpenOptions options) => OpenFile(address, options);

    /// <inheritdoc/>
    public IReadOnlyList<string> LocalFiles(StoreAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return [address.Text, address.Text + "-wal", address.Text + "-shm"];
    }

    private static SqliteFingerprintStore OpenFile(StoreAddress address, StoreOpenOptions options)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(options);
        int seconds = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds);
        return SqliteFingerprintStore.Open(address.Text, options.CreateIfMissing, Math.Max(1, seconds));
    }
}

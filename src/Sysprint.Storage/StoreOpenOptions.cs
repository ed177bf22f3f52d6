namespace Sysprint.Storage;

/// <summary>How a store is opened.</summary>
public sealed record StoreOpenOptions
{
    /// <summary>How long a command waits for another writer before the store counts as locked.</summary>
    public static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Create the store (and its schema) when it does not exist yet; otherwise that is an error.</summary>
    public bool CreateIfMissing { get; init; }

    /// <summary>How long to wait for another process's write (SQLite's busy timeout, a server's lock timeout).</summary>
    public TimeSpan BusyTimeout { get; init; } = DefaultBusyTimeout;
}

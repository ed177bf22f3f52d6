namespace Sysprint.Storage;

/// <summary>
/// One kind of store (SQLite, PostgreSQL): which addresses it serves and how it opens them. A new
/// backend is one implementation plus its line in <see cref="StoreBackends.Default"/>, and its
/// tests derive from the store contract's suite (tests/Sysprint.Storage.Contract).
/// </summary>
public interface IStoreBackend
{
    /// <summary>The backend's name for messages (<c>SQLite</c>).</summary>
    string Name { get; }

    /// <summary>What addresses look like for this backend, for the message that lists the supported ones.</summary>
    string AddressForms { get; }

    /// <summary>True when this backend serves <paramref name="address"/>.</summary>
    bool Claims(StoreAddress address);

    /// <summary>Opens the fingerprint store (and its alert history) at the address, upgrading an older schema.</summary>
    /// <exception cref="Diagnostics.SysprintException">Missing (and not to be created), unreachable, locked, corrupt or newer.</exception>
    IFingerprintStore Open(StoreAddress address, StoreOpenOptions options);

    /// <summary>
    /// Opens the live agent's tables (outbox, watched files) at the address, over a connection of
    /// their own. A backend that keeps none throws <see cref="Diagnostics.SysprintException"/>
    /// saying so (the agent then keeps them in a local SQLite file).
    /// </summary>
    IAgentStore OpenAgent(StoreAddress address, StoreOpenOptions options);

    /// <summary>
    /// The files on this host that hold the store (a file backend's file and its companions; none
    /// for a server), which the agent refuses to use when others may write them.
    /// </summary>
    IReadOnlyList<string> LocalFiles(StoreAddress address);
}

using Sysprint.Diagnostics;
using Sysprint.Mapping;
using Sysprint.Storage;

namespace Sysprint.Cli;

/// <summary>
/// Finds and opens the store: <c>--db</c>, else <c>$SYSPRINT_DB</c>, else <c>./sysprint.db</c>,
/// served by the backend that claims the address (<see cref="StoreBackends"/>).
/// </summary>
internal static class StoreLocator
{
    /// <summary>The store's address; one no backend serves is a usage error, never a file of that name.</summary>
    /// <exception cref="SysprintException">No backend serves the address (64).</exception>
    public static StoreAddress Resolve(string? db, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string text = db ?? "";
        string source = "--db";
        if (string.IsNullOrEmpty(text))
        {
            text = context.Environment("SYSPRINT_DB") ?? "";
            source = "$SYSPRINT_DB";
        }

        if (string.IsNullOrEmpty(text))
        {
            return StoreAddress.Parse(Commands.CommonOptions.DefaultDbFile);
        }

        StoreAddress address = StoreAddress.Parse(text);
        try
        {
            StoreBackends.Default.Find(address);
        }
        catch (SysprintException e) when (e.Kind == ErrorKind.Usage)
        {
            throw new SysprintException(ErrorKind.Usage, $"{source} {e.Message}", e);
        }

        return address;
    }

    /// <summary>Opens the store; <c>$SYSPRINT_BUSY_TIMEOUT</c> (seconds) sets how long to wait for another process's write.</summary>
    /// <remarks>Run as root on another user's store (the service's), the store's files keep that user as their owner (<see cref="StoreOwner"/>).</remarks>
    public static IFingerprintStore Open(StoreAddress address, bool create, CliContext? context = null)
    {
        IReadOnlyList<string> files = StoreBackends.Default.Find(address).LocalFiles(address);
        bool existed = files.Count > 0 && File.Exists(files[0]);
        IFingerprintStore store = StoreBackends.Default.Open(address, Options(create, context));
        try
        {
            if (files.Count > 0)
            {
                StoreOwner.Keep(files[0], existed, files);
            }
        }
        catch
        {
            store.Dispose();
            throw;
        }

        return store;
    }

    /// <summary>Opens the agent's tables (outbox, watched files) of the store, over a connection of their own.</summary>
    public static IAgentStore OpenAgent(StoreAddress address, CliContext? context = null)
    {
        IAgentStore store = StoreBackends.Default.OpenAgent(address, Options(create: false, context));
        IReadOnlyList<string> files = StoreBackends.Default.Find(address).LocalFiles(address);
        try
        {
            if (files.Count > 0)
            {
                StoreOwner.Keep(files[0], existed: true, files);
            }
        }
        catch
        {
            store.Dispose();
            throw;
        }

        return store;
    }

    /// <summary>The files on this host that hold the store (none for a server).</summary>
    public static IReadOnlyList<string> LocalFiles(StoreAddress address) => StoreBackends.Default.Find(address).LocalFiles(address);

    private static StoreOpenOptions Options(bool create, CliContext? context)
    {
        int timeout = (int)StoreOpenOptions.DefaultBusyTimeout.TotalSeconds;
        string? setting = (context?.Environment ?? System.Environment.GetEnvironmentVariable)("SYSPRINT_BUSY_TIMEOUT");
        if (!string.IsNullOrEmpty(setting)
            && (!int.TryParse(setting, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out timeout) || timeout < 1))
        {
            throw new SysprintException(ErrorKind.Usage, $"SYSPRINT_BUSY_TIMEOUT must be a whole number of seconds (at least 1), not '{setting}'");
        }

        return new StoreOpenOptions { CreateIfMissing = create, BusyTimeout = TimeSpan.FromSeconds(timeout) };
    }

    /// <summary>
    /// The store's mapping; a new store gets the one the user chose (<c>--mapping</c>, else
    /// <c>--abi</c>, else x86_64). Choosing another mapping for an existing store is an error.
    /// </summary>
    public static SyscallTable Mapping(IFingerprintStore store, string? abi, string? mappingFile)
    {
        SyscallTable? stored = store.LoadMapping();
        SyscallTable? chosen = null;
        if (mappingFile is not null)
        {
            chosen = LoadMappingFile(mappingFile);
        }
        else if (abi is not null)
        {
            chosen = SyscallTable.Builtin(abi);
        }

        if (stored is null)
        {
            SyscallTable table = chosen ?? SyscallTable.Builtin("x86_64");
            store.SaveMapping(table);
            return table;
        }

        if (chosen is not null && chosen.Source != stored.Source)
        {
            throw new SysprintException(ErrorKind.Usage,
                $"{store.Location} uses the mapping '{stored.Source}', not '{chosen.Source}': numbers would not match; use another --db for another mapping");
        }

        return stored;
    }

    public static SyscallTable LoadMappingFile(string path)
    {
        try
        {
            using var reader = new StreamReader(path);
            return SyscallTable.Parse(reader, path, "file:" + Path.GetFileName(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SysprintException(ErrorKind.InputMissing, $"{path}: cannot read the mapping file: {e.Message}", e);
        }
    }
}

using Sysprint.Diagnostics;
using Sysprint.Mapping;
using Sysprint.Storage;
using Sysprint.Storage.Sqlite;

namespace Sysprint.Cli;

/// <summary>Finds and opens the store: <c>--db</c>, else <c>$SYSPRINT_DB</c>, else <c>./sysprint.db</c>.</summary>
internal static class StoreLocator
{
    public static string Resolve(string? db, CliContext context)
    {
        if (!string.IsNullOrEmpty(db))
        {
            return db;
        }

        string? env = context.Environment("SYSPRINT_DB");
        return string.IsNullOrEmpty(env) ? Commands.CommonOptions.DefaultDbFile : env;
    }

    /// <summary>Opens the store; <c>$SYSPRINT_BUSY_TIMEOUT</c> (seconds) sets how long to wait for another process's write.</summary>
    public static IFingerprintStore Open(string path, bool create, CliContext? context = null)
    {
        int timeout = SqliteFingerprintStore.DefaultBusyTimeoutSeconds;
        string? setting = (context?.Environment ?? System.Environment.GetEnvironmentVariable)("SYSPRINT_BUSY_TIMEOUT");
        if (!string.IsNullOrEmpty(setting)
            && (!int.TryParse(setting, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out timeout) || timeout < 1))
        {
            throw new SysprintException(ExitCodes.Usage, $"SYSPRINT_BUSY_TIMEOUT must be a whole number of seconds (at least 1), not '{setting}'");
        }

        return SqliteFingerprintStore.Open(path, create, timeout);
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
            throw new SysprintException(ExitCodes.Usage,
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
            throw new SysprintException(ExitCodes.InputMissing, $"{path}: cannot read the mapping file: {e.Message}", e);
        }
    }
}

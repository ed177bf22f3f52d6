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

    public static IFingerprintStore Open(string path, bool create) => SqliteFingerprintStore.Open(path, create);

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

using System.CommandLine;
using Sysprint.App.Profiles;
using Sysprint.Mapping;
using Sysprint.Storage;

namespace Sysprint.Cli.Commands;

/// <summary><c>sysprint import</c>: adds an exported fingerprint to this host's store, verifying its seal first with --trust.</summary>
internal static class ImportCommand
{
    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Db();
        var trust = CommonOptions.Trust();
        var file = new Argument<string>("FILE") { Description = "A file written by 'sysprint export'" };
        var replace = new Option<bool>("--replace")
        {
            Description = "Replace a profile of the same name (its fingerprint, learnt logs, window counts and seal) with the exported one; a running agent picks it up",
        };
        var command = new Command("import", "Add an exported fingerprint to the store; with --trust, only if its seal verifies") { db, trust, replace, file };
        command.SetAction(result =>
        {
            string path = result.GetValue(file)!;

            // Read and verified before the store is touched: a refused import leaves nothing behind.
            ProfileImport export = ImportService.Read(path);
            export.Verify(CommonOptions.Verifier(result, trust, context), path);

            StoreAddress address = StoreLocator.Resolve(result.GetValue(db), context);
            using IFingerprintStore store = StoreLocator.Open(address, create: true, context);
            SyscallTable table = StoreLocator.Mapping(store, null, null);
            ImportResult imported = ImportService.Import(store, table, export, path, result.GetValue(replace));

            bool verified = !string.IsNullOrEmpty(result.GetValue(trust) ?? context.Environment("SYSPRINT_TRUST"));
            string counts = imported.Logs > 0 ? $", window counts of {imported.Logs} logs" : "";
            context.Out.WriteLine($"{(imported.Replaced ? "replaced" : "imported")} profile '{imported.Profile}' ({imported.Transitions} transitions, window {imported.Window}{counts}){(verified ? ", seal verified" : "")}");
            return ExitCodes.Ok;
        });
        return command;
    }
}

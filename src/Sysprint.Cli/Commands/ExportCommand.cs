using System.CommandLine;
using Sysprint.App.Profiles;
using Sysprint.Integrity;
using Sysprint.Mapping;
using Sysprint.Storage;

namespace Sysprint.Cli.Commands;

/// <summary>
/// <c>sysprint export</c> and <c>import</c>: move a (signed) fingerprint between hosts, so one
/// database serves many programs and VMs, as the paper intends.
/// </summary>
internal static class ExportCommand
{
    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Db();
        var profile = CommonOptions.Profile();
        var output = new Option<string>("--output", "-o") { Description = "The export file", HelpName = "FILE", Required = true };
        var command = new Command("export", "Write a profile's fingerprint (and its seal, if sealed) to a file for another host") { db, profile, output };
        command.SetAction(result =>
        {
            StoreAddress address = StoreLocator.Resolve(result.GetValue(db), context);
            using IFingerprintStore store = StoreLocator.Open(address, create: false, context);
            SyscallTable table = StoreLocator.Mapping(store, null, null);
            string name = result.GetValue(profile)!;
            string path = result.GetValue(output)!;
            ProfileExport export = ExportService.Export(store, table, name, path);
            int windowLogs = export.Logs.Count;
            Seal? seal = export.Seal;
            string counts = windowLogs > 0 ? $", window counts of {windowLogs} logs" : "";
            context.Out.WriteLine($"exported profile '{name}' ({export.Transitions} transitions{counts}{(seal is null ? ", not sealed" : ", sealed by key " + seal.KeyId)}) to {path}");
            return ExitCodes.Ok;
        });
        return command;
    }
}

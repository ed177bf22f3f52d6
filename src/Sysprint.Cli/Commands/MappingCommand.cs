using System.CommandLine;
using Sysprint.Mapping;
using Sysprint.Storage;

namespace Sysprint.Cli.Commands;

/// <summary><c>sysprint mapping</c>: prints the active mapping in the mapping-file format.</summary>
internal static class MappingCommand
{
    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Db();
        var abi = CommonOptions.Abi();
        var mapping = CommonOptions.Mapping();
        var command = new Command("mapping",
            "Print the active name/number mapping (the store's when it exists, else the built-in table) as a mapping file")
        {
            db, abi, mapping,
        };
        command.SetAction(result =>
        {
            SyscallTable table;
            StoreAddress address = StoreLocator.Resolve(result.GetValue(db), context);
            if (result.GetValue(abi) is { } chosenAbi)
            {
                table = SyscallTable.Builtin(chosenAbi);
            }
            else if (result.GetValue(mapping) is { } file)
            {
                table = StoreLocator.LoadMappingFile(file);
            }
            else if (address.Kind != StoreAddressKind.File || File.Exists(address.Text))
            {
                using IFingerprintStore store = StoreLocator.Open(address, create: false, context);
                table = store.LoadMapping() ?? SyscallTable.Builtin("x86_64");
            }
            else
            {
                table = SyscallTable.Builtin("x86_64");
            }

            table.WriteTo(context.Out);
            return 0;
        });
        return command;
    }
}

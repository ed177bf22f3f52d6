using System.CommandLine;
using System.Security.Cryptography;
using Sysprint.App.Profiles;
using Sysprint.Integrity;
using Sysprint.Mapping;
using Sysprint.Storage;

namespace Sysprint.Cli.Commands;

/// <summary><c>sysprint seal</c>: signs each profile's fingerprint digest with the administrator's key.</summary>
internal static class SealCommand
{
    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Db();
        var key = new Option<string>("--key")
        {
            Description = "The private key (PEM); created with its public half KEYFILE.pub, owner-only, when it does not exist. Keep it outside the store.",
            HelpName = "KEYFILE",
            Required = true,
        };
        var command = new Command("seal", "Sign every profile's fingerprint, so check/watch/run --trust refuse one changed behind your back") { db, key };
        command.SetAction(result =>
        {
            StoreAddress address = StoreLocator.Resolve(result.GetValue(db), context);
            using IFingerprintStore store = StoreLocator.Open(address, create: false, context);
            SyscallTable table = StoreLocator.Mapping(store, null, null);
            string keyPath = result.GetValue(key)!;
            using ECDsa privateKey = SealKeys.LoadOrCreatePrivate(keyPath, out bool created);
            if (created)
            {
                context.Note($"created the key pair {keyPath} (private, mode 600) and {keyPath}.pub (give this one to --trust)");
            }

            foreach (SealedProfile done in SealService.SealAll(store, table, privateKey))
            {
                string covered = done.WindowLogs is { } logs ? $", window counts of {logs} logs" : "";
                context.Out.WriteLine($"sealed   profile '{done.Profile}': {done.Transitions} transitions{covered}, digest {done.Seal.Digest[..16]}…, key {done.Seal.KeyId}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}

using System.CommandLine;
using System.Security.Cryptography;
using Sysprint.Integrity;
using Sysprint.Mapping;
using Sysprint.Model;
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

            IReadOnlyList<ProfileInfo> profiles = store.ListProfiles();
            if (profiles.Count == 0)
            {
                throw new Diagnostics.SysprintException(Diagnostics.ErrorKind.InputMissing, $"{address}: no profiles to seal; learn logs first");
            }

            foreach (ProfileInfo profile in profiles)
            {
                Fingerprint fingerprint = store.LoadFingerprint(profile);

                // The window counts are sealed too when every learnt log has them (the window detectors need all).
                StoredWindowModel windows = store.LoadWindowModel(profile);
                string? windowsDigest = windows.LogsWithoutWindows == 0 && windows.Logs.Count > 0 ? windows.Digest : null;
                Seal seal = Seal.Create(profile.Name, FingerprintDigest.Compute(profile.Name, fingerprint, table), privateKey, windowsDigest);
                store.SetSetting(Seal.SettingKey(profile.Name), seal.ToJson());
                string covered = windowsDigest is null ? "" : $", window counts of {windows.Logs.Count} logs";
                context.Out.WriteLine($"sealed   profile '{profile.Name}': {fingerprint.TransitionCount} transitions{covered}, digest {seal.Digest[..16]}…, key {seal.KeyId}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}

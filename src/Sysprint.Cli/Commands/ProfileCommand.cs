using System.CommandLine;
using System.Globalization;
using Sysprint.Diagnostics;
using Sysprint.Engine;
using Sysprint.Storage;

namespace Sysprint.Cli.Commands;

/// <summary><c>sysprint profile</c>: shows or sets the detector and threshold that <c>check</c> uses for a profile.</summary>
internal static class ProfileCommand
{
    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Db();
        var profile = CommonOptions.Profile();
        var detector = new Option<string?>("--detector") { Description = $"Set the detector: {string.Join(", ", Detectors.All)}", HelpName = "NAME" };
        var threshold = new Option<double?>("--threshold") { Description = "Set the score tolerated before a log is anomalous", HelpName = "N" };
        threshold.Validators.Add(r =>
        {
            if (CommonOptions.TryValue(r, out double? t) && t is < 0 or double.NaN)
            {
                r.AddError("--threshold must be a number >= 0");
            }
        });
        var command = new Command("profile", "Show a profile's settings, or set the detector and threshold that check uses for it (e.g. what eval recommends)")
        {
            db, profile, detector, threshold,
        };
        command.SetAction(result =>
        {
            string dbPath = StoreLocator.Resolve(result.GetValue(db), context);
            using IFingerprintStore store = StoreLocator.Open(dbPath, create: false, context);
            string name = result.GetValue(profile)!;
            ProfileInfo info = store.FindProfile(name) ?? throw new SysprintException(ExitCodes.InputMissing,
                $"{dbPath}: no profile '{name}' (profiles: {string.Join(", ", store.ListProfiles().Select(p => p.Name).DefaultIfEmpty("none"))})");
            string? newDetector = result.GetValue(detector);
            double? newThreshold = result.GetValue(threshold);
            if (newDetector is not null || newThreshold is not null)
            {
                string chosen = newDetector ?? info.Detector;
                Detectors.Validate(chosen, info.Window);
                store.SetProfileDetector(name, chosen, newThreshold ?? (newDetector is null ? info.Threshold : 0));
                info = store.FindProfile(name)!;
            }

            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"profile '{info.Name}': window {info.Window}, detector {info.Detector}, threshold {info.Threshold}, created {info.Created:yyyy-MM-dd HH:mm:ss}Z"));
            return ExitCodes.Ok;
        });
        return command;
    }
}

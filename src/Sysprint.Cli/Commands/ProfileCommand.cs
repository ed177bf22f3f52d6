using System.CommandLine;
using System.Globalization;
using Sysprint.App.Profiles;
using Sysprint.Diagnostics;
using Sysprint.Engine;
using Sysprint.Fleet;
using Sysprint.Storage;
using Sysprint.Storage.Postgres;

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
        var falseAlarms = new Option<double?>("--false-alarms")
        {
            Description = $"Set the threshold from the learnt logs alone: the score that at most this share (0 to 1) of them exceeds, each tenth checked against the tenths learnt before it; without --detector, also sets {Detectors.Recommended} (what eval recommends)",
            HelpName = "RATE",
        };
        falseAlarms.Validators.Add(r =>
        {
            if (CommonOptions.TryValue(r, out double? rate) && rate is not (>= 0 and <= 1))
            {
                r.AddError("--false-alarms must be a share between 0 and 1, e.g. 0.05");
            }
        });
        var delete = new Option<string?>("--delete")
        {
            Description = "Delete the profile NAME: its fingerprint, learnt logs, window counts and seal (its checks and alerts stay in the history); a running agent keeps the fingerprint it has and raises an internal alert",
            HelpName = "NAME",
        };
        var learnFromFleet = new Option<bool>("--learn-from-fleet")
        {
            Description = "On the fleet's PostgreSQL store: open a learning window for --group's agents to upload what each normal log they finish teaches the profile, for --for DURATION (default "
                + LearnFromFleet.DefaultDuration + "); learnt once when it closes; with --status, list the windows; with --close, close the group's window now and learn it",
        };
        var group = new Option<string>("--group") { Description = "With --learn-from-fleet: the group whose agents learn", DefaultValueFactory = _ => Fleet.EnrollTokens.DefaultGroup, HelpName = "NAME" };
        var learnFor = new Option<string?>("--for") { Description = "With --learn-from-fleet: how long the window stays open, e.g. 30m, 2h, 7d", HelpName = "DURATION" };
        var status = new Option<bool>("--status") { Description = "With --learn-from-fleet: list the learning windows" };
        var close = new Option<bool>("--close") { Description = "With --learn-from-fleet: close the group's window for the profile now and learn its logs" };
        var groups = new Option<string?>("--groups")
        {
            Description = "On the fleet's PostgreSQL store: the groups whose agents receive the profile, separated by commas; '" + ProfileGroups.All
                + "' for every group (a profile never assigned goes to every group), '" + ProfileGroups.None + "' for none; agents of a group left out drop it",
            HelpName = "LIST",
        };
        var command = new Command("profile", "Show a profile's settings, set the detector and threshold that check uses for it (e.g. what eval recommends), delete it, or learn it from the fleet")
        {
            db, profile, detector, threshold, falseAlarms, delete, learnFromFleet, group, learnFor, status, close, groups,
        };
        command.SetAction(result =>
        {
            bool learning = result.GetValue(learnFromFleet);
            if (!learning && (result.GetResult(group) is { Implicit: false } || result.GetValue(learnFor) is not null || result.GetValue(status) || result.GetValue(close)))
            {
                throw new SysprintException(ErrorKind.Usage, "--group, --for, --status and --close go with --learn-from-fleet");
            }

            if (result.GetValue(groups) is { } list)
            {
                if (learning || result.GetValue(delete) is not null || result.GetValue(detector) is not null || result.GetValue(threshold) is not null
                    || result.GetValue(falseAlarms) is not null)
                {
                    throw new SysprintException(ErrorKind.Usage, "--groups takes no --learn-from-fleet, --delete, --detector, --threshold or --false-alarms");
                }

                return AssignGroups(result.GetValue(db), result.GetValue(profile)!, list, context);
            }

            if (learning)
            {
                if (result.GetValue(delete) is not null || result.GetValue(detector) is not null || result.GetValue(threshold) is not null || result.GetValue(falseAlarms) is not null)
                {
                    throw new SysprintException(ErrorKind.Usage, "--learn-from-fleet takes no --delete, --detector, --threshold or --false-alarms");
                }

                return LearnFromFleet.Run(result.GetValue(db), result.GetValue(profile)!, result.GetValue(group)!, result.GetValue(learnFor),
                    result.GetValue(status), result.GetValue(close), context);
            }

            StoreAddress address = StoreLocator.Resolve(result.GetValue(db), context);
            if (result.GetValue(delete) is { } doomed)
            {
                if (result.GetResult(profile) is { Implicit: false } || result.GetValue(detector) is not null || result.GetValue(threshold) is not null || result.GetValue(falseAlarms) is not null)
                {
                    throw new SysprintException(ErrorKind.Usage, "--delete NAME takes no --profile, --detector, --threshold or --false-alarms");
                }

                return Delete(address, doomed, context);
            }

            using IFingerprintStore store = StoreLocator.Open(address, create: false, context);
            ProfileInfo info = ProfileService.Find(store, result.GetValue(profile)!);
            string? newDetector = result.GetValue(detector);
            double? newThreshold = result.GetValue(threshold);
            double? rate = result.GetValue(falseAlarms);
            if (rate is not null && newThreshold is not null)
            {
                throw new SysprintException(ErrorKind.Usage, "give --threshold or --false-alarms, not both");
            }

            if (rate is { } share)
            {
                // Without --detector, the one the evaluation recommends, kept with the profile.
                Calibration calibration = ProfileService.Calibrate(store, info, newDetector, share);
                newDetector = calibration.Detector;
                newThreshold = calibration.Threshold;
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"threshold {calibration.Threshold}: {calibration.Above} of the {calibration.HeldOut} learnt logs held out ({100.0 * calibration.Above / calibration.HeldOut:0.#}%) score above it with {calibration.Detector}, each tenth of the learnt logs checked against the tenths learnt before it"));
            }

            info = ProfileService.SetDetector(store, info, newDetector, newThreshold);

            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"profile '{info.Name}': window {info.Window}, detector {info.Detector}, threshold {info.Threshold}, created {info.Created:yyyy-MM-dd HH:mm:ss}Z"));
            if (PostgresLocation.IsPostgres(address.Text))
            {
                context.Out.WriteLine(GroupsLineAsync(address, info.Name, context).GetAwaiter().GetResult());
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static int AssignGroups(string? db, string name, string list, CliContext context) => AssignGroupsAsync(db, name, list, context).GetAwaiter().GetResult();

    private static async Task<int> AssignGroupsAsync(string? db, string name, string list, CliContext context)
    {
        IReadOnlyList<string>? assigned = ProfileGroups.Parse(list);
        await using PostgresFleetStore store = FleetStoreLocator.Open(db, "profile --groups", context);
        await ProfileGroups.SetAsync(store, name, assigned, CancellationToken.None).ConfigureAwait(false);
        context.Out.WriteLine($"profile '{name}' goes to {ProfileGroups.Describe(assigned)}{(assigned is null ? "" : "; agents of other groups drop the copy they had from the fleet")}");
        return ExitCodes.Ok;
    }

    /// <summary>On the fleet's store, the line that says which groups' agents receive the profile.</summary>
    private static async Task<string> GroupsLineAsync(StoreAddress address, string name, CliContext context)
    {
        await using PostgresFleetStore store = FleetStoreLocator.Open(address.Text, "profile", context);
        IReadOnlyDictionary<string, IReadOnlyList<string>> assigned = await store.ListProfileGroupsAsync(CancellationToken.None).ConfigureAwait(false);
        return $"profile '{name}' goes to {ProfileGroups.Describe(assigned.GetValueOrDefault(name))}";
    }

    private static int Delete(StoreAddress address, string name, CliContext context)
    {
        using IFingerprintStore store = StoreLocator.Open(address, create: false, context);
        DeletedProfile deleted = ProfileService.Delete(store, name);
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"deleted profile '{deleted.Profile}': {deleted.Transitions} transitions, {deleted.Logs} learnt logs, window counts and seal (its checks and alerts stay in the history)"));
        return ExitCodes.Ok;
    }
}

using System.Globalization;
using Sysprint.App.Fleet;
using Sysprint.Diagnostics;
using Sysprint.Fleet;
using Sysprint.Storage.Postgres;

namespace Sysprint.Cli.Commands;

/// <summary>
/// <c>sysprint profile --learn-from-fleet</c> on the fleet's PostgreSQL store: opens a learning
/// window for a group and profile (<c>--group G --for DURATION</c>), shows the windows
/// (<c>--status</c>), or closes the group's open one now and learns it (<c>--close</c>).
/// </summary>
internal static class LearnFromFleet
{
    /// <summary>How long a window lasts when <c>--for</c> is not given.</summary>
    public const string DefaultDuration = "1h";

    public static int Run(string? db, string profile, string group, string? duration, bool status, bool close, CliContext context) =>
        RunAsync(db, profile, group, duration, status, close, context).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string? db, string profile, string group, string? duration, bool status, bool close, CliContext context)
    {
        if (status && close)
        {
            throw new SysprintException(ErrorKind.Usage, "--learn-from-fleet takes --status or --close, not both");
        }

        if ((status || close) && duration is not null)
        {
            throw new SysprintException(ErrorKind.Usage, "--for DURATION opens a window: it goes without --status and --close");
        }

        TimeSpan length = Durations.Parse(duration ?? DefaultDuration, "--for");
        await using PostgresFleetStore store = FleetStoreLocator.Open(db, "profile --learn-from-fleet", context);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        if (status)
        {
            IReadOnlyList<LearningWindow> windows = await store.LearningWindows.ListAsync(CancellationToken.None).ConfigureAwait(false);
            if (windows.Count == 0)
            {
                context.Out.WriteLine("no learning window yet");
            }

            foreach (LearningWindow window in windows)
            {
                context.Out.WriteLine(Describe(window, now));
            }

            return ExitCodes.Ok;
        }

        if (close)
        {
            IReadOnlyList<LearningWindow> windows = await store.LearningWindows.ListAsync(CancellationToken.None).ConfigureAwait(false);
            LearningWindow open = windows.FirstOrDefault(w => w.Group == group && w.Profile == profile && w.Learnt is null)
                ?? throw new SysprintException(ErrorKind.InputMissing, $"group '{group}' has no learning window for profile '{profile}' to close");
            await store.LearningWindows.CloseAsync(open.Id, now, CancellationToken.None).ConfigureAwait(false);

            // Learnt here, at once (a serve instance would within seconds; both learn each log once).
            await FleetLearning.LearnDueAsync(store, now, CancellationToken.None).ConfigureAwait(false);
            LearningWindow after = await store.LearningWindows.FindAsync(open.Id, CancellationToken.None).ConfigureAwait(false) ?? open;
            context.Out.WriteLine(after.Learnt is null
                ? string.Create(CultureInfo.InvariantCulture, $"learning window #{after.Id} closed; another process is learning its {after.Logs} logs")
                : Describe(after, now));
            return ExitCodes.Ok;
        }

        LearningWindow opened = await FleetLearning.OpenAsync(store, group, profile, length, now, CancellationToken.None).ConfigureAwait(false);
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"learning window #{opened.Id} open for group '{opened.Group}', profile '{opened.Profile}', until {FleetJson.TimeText(opened.Closes)}: the group's agents upload what each normal log they finish teaches; it is learnt when the window closes (--close to close it now)"));
        return ExitCodes.Ok;
    }

    private static string Describe(LearningWindow window, DateTimeOffset now)
    {
        string head = string.Create(CultureInfo.InvariantCulture,
            $"#{window.Id}  group '{window.Group}'  profile '{window.Profile}'  {window.StateAt(now)}");
        string counts = string.Create(CultureInfo.InvariantCulture, $"{window.Logs} logs from {window.Hosts} hosts");
        return window.StateAt(now) switch
        {
            "open" => $"{head} until {FleetJson.TimeText(window.Closes)}: {counts} so far",
            "closing" => $"{head} since {FleetJson.TimeText(window.Closed is { } c && c < window.Closes ? c : window.Closes)}: {counts}, being learnt",
            _ => string.Create(CultureInfo.InvariantCulture,
                $"{head} {FleetJson.TimeText(window.Learnt!.Value)}: {counts}; {window.LearntLogs} learnt{(window.LearntLogs < window.Logs ? " (the profile held the others already)" : "")}, +{window.NewTransitions} transitions"),
        };
    }
}

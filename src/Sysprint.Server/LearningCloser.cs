using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sysprint.App.Fleet;
using Sysprint.Diagnostics;
using Sysprint.Storage;

namespace Sysprint.Server;

/// <summary>
/// Learns each learning window that closed (by its time, or by hand) into its profile, looking every
/// <see cref="ServeOptions.LearningCheckInterval"/>. Every instance looks; a window is claimed by one
/// (<see cref="ILearningWindows.ClaimDueAsync"/>) and its logs are learnt by content, so two
/// instances learn each log once. The change then flows down to the agents like any central change.
/// </summary>
internal sealed class LearningCloser(IFleetStore store, ServeOptions options, TimeProvider clock, ILogger<LearningCloser> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string? lastProblem = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (FleetLearning.Outcome done in await FleetLearning.LearnDueAsync(store, clock.GetUtcNow(), stoppingToken).ConfigureAwait(false))
                {
                    if (logger.IsEnabled(LogLevel.Information))
                    {
                        logger.LogInformation("learning window #{Id} (group {Group}) closed: {Learnt} of {Staged} logs learnt into profile '{Profile}', +{New} transitions{Problem}",
                            done.Window.Id, done.Window.Group, done.Learnt, done.Staged, done.Window.Profile, done.NewTransitions,
                            done.Problem is null ? "" : "; " + done.Problem);
                    }
                }

                lastProblem = null;
            }
            catch (SysprintException e) when (e.Kind == ErrorKind.StoreUnavailable && !stoppingToken.IsCancellationRequested)
            {
                // The database away: the windows wait for it (a claim left behind is taken over later).
                if (e.Message != lastProblem)
                {
                    logger.LogWarning("learning windows not looked at: {Error}", e.Message);
                    lastProblem = e.Message;
                }
            }

            await Task.Delay(options.LearningCheckInterval, clock, stoppingToken).ConfigureAwait(false);
        }
    }
}

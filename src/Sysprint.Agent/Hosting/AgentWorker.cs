using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sysprint.Diagnostics;

namespace Sysprint.Agent.Hosting;

/// <summary>
/// The agent as a hosted service: runs the session's <see cref="Watch.SpoolWatcher"/> on its own
/// thread until the host stops (SIGTERM, Ctrl+C), then checkpoints and gives the sinks up to the
/// shutdown timeout to take what is pending (the rest stays in the store's outbox for the next
/// start). On SIGHUP it ends the session the same way and opens the next one from the config read
/// again: new fingerprints, seals, sinks and spools, without a new process (systemd's
/// <c>ExecReload</c>).
/// </summary>
internal sealed class AgentWorker(AgentRuntime runtime, IHostApplicationLifetime lifetime, ILogger<AgentWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            AgentSession session = runtime.Session;
            if (logger.IsEnabled(LogLevel.Information))
            {
                logger.LogInformation("{Session}", Diagnostics.Printable.Escape(session.Describe()));
            }

            if (session.Awaiting is { } why)
            {
                if (logger.IsEnabled(LogLevel.Warning))
                {
                    logger.LogWarning("nothing to check against yet: {Why}; waiting for the fleet's profiles from {Server} (logs wait in the spools)",
                        Diagnostics.Printable.Escape(why), session.Server);
                }

                bool arrived;
                using (CancellationTokenSource cycle = runtime.BeginCycle(stoppingToken))
                {
                    arrived = await session.WaitForProfilesAsync(cycle.Token).ConfigureAwait(false);
                    runtime.EndCycle();
                }

                if (stoppingToken.IsCancellationRequested)
                {
                    return;
                }

                if (!await ReloadAsync(session, arrived ? "the fleet's profiles arrived: checking starts" : null).ConfigureAwait(false))
                {
                    lifetime.StopApplication();
                    return;
                }

                continue;
            }

            using (CancellationTokenSource cycle = runtime.BeginCycle(stoppingToken))
            {
                await Task.Factory.StartNew(() => session.Watcher.Run(cycle.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)
                    .ConfigureAwait(false);
                runtime.EndCycle();
            }

            if (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            if (!await ReloadAsync(session, null).ConfigureAwait(false))
            {
                lifetime.StopApplication();
                return;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        AgentSession session = runtime.Session;
        if (!session.IsOpen)
        {
            return;
        }

        long pending = await session.Outbox.FlushAsync(TimeSpan.FromSeconds(session.Config.ShutdownTimeoutSeconds), CancellationToken.None).ConfigureAwait(false);
        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation("stopped: {Raised} alerts raised, {Pending} deliveries left pending in the outbox", session.Outbox.Raised, pending);
        }
    }

    /// <summary>
    /// Ends <paramref name="current"/> and opens the next session; false when none could be opened.
    /// <paramref name="arrival"/>: why, when not a SIGHUP (the same config opened again).
    /// </summary>
    private async Task<bool> ReloadAsync(AgentSession current, string? arrival)
    {
        AgentConfig next = current.Config;
        try
        {
            if (arrival is null)
            {
                next = runtime.LoadConfig();
            }
        }
        catch (SysprintException e)
        {
            logger.LogError("SIGHUP: the config was not reloaded, the running one stays: {Error}", e.Message);
        }

        long pending = await current.Outbox.FlushAsync(TimeSpan.FromSeconds(current.Config.ShutdownTimeoutSeconds), CancellationToken.None).ConfigureAwait(false);
        await current.DisposeAsync().ConfigureAwait(false);
        try
        {
            runtime.Session = runtime.Open(next);
        }
        catch (SysprintException e) when (!ReferenceEquals(next, current.Config))
        {
            logger.LogError("SIGHUP: the new config cannot run, the running one stays: {Error}", e.Message);
            next = current.Config;
            if (!TryOpen(next))
            {
                return false;
            }
        }
        catch (SysprintException e)
        {
            // The same config no longer opens: a fingerprint changed and fails its seal, a
            // profile was removed. The agent stops with that error, as a fresh start would.
            runtime.Failure = e;
            return false;
        }

        if (arrival is not null)
        {
            if (logger.IsEnabled(LogLevel.Information))
            {
                logger.LogInformation("{Arrival}", arrival);
            }

            return true;
        }

        runtime.Reloads++;
        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation("reloaded (SIGHUP): config and fingerprints read again; {Pending} deliveries carried over in the outbox", pending);
        }

        return true;
    }

    private bool TryOpen(AgentConfig config)
    {
        try
        {
            runtime.Session = runtime.Open(config);
            return true;
        }
        catch (SysprintException e)
        {
            runtime.Failure = e;
            return false;
        }
    }
}

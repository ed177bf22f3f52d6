using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sysprint.Agent.Outbox;
using Sysprint.Agent.Watch;

namespace Sysprint.Agent.Hosting;

/// <summary>
/// The agent as a hosted service: runs the <see cref="SpoolWatcher"/> on its own thread until the
/// host stops (SIGTERM, Ctrl+C), then checkpoints and gives the sinks up to the shutdown timeout
/// to take what is pending (the rest stays in the store's outbox for the next start).
/// </summary>
internal sealed class AgentWorker(SpoolWatcher watcher, AlertOutbox outbox, AgentConfig config, ILogger<AgentWorker> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => watcher.Run(stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        long pending = await outbox.FlushAsync(TimeSpan.FromSeconds(config.ShutdownTimeoutSeconds), CancellationToken.None).ConfigureAwait(false);
        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation("stopped: {Raised} alerts raised, {Pending} deliveries left pending in the outbox", outbox.Raised, pending);
        }
    }
}

using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging.Console;
using Sysprint.Agent.Metrics;
using Sysprint.Storage;

namespace Sysprint.Agent.Hosting;

/// <summary>
/// Runs the agent under Microsoft.Extensions.Hosting: systemd integration (<c>Type=notify</c>
/// readiness, journald log levels) when started by systemd, console lifetime otherwise (SIGTERM
/// and Ctrl+C stop it gracefully), logs on stderr so stdout carries alerts only.
/// </summary>
public static class AgentHost
{
    /// <summary>Watches until <paramref name="stop"/> fires or the process is asked to stop.</summary>
    /// <param name="openStore">Opens the fingerprint store the watcher reads profiles from.</param>
    /// <param name="openAgentStore">Opens the agent's tables; called twice (the watcher's and the outbox's connections).</param>
    /// <param name="console">Where each alert's human line goes, or null.</param>
    /// <param name="reloadConfig">Reads the config again on SIGHUP (null: SIGHUP is not handled). The store stays the one opened at start.</param>
    /// <exception cref="Diagnostics.SysprintException">A profile is missing, a sink address is wrong, the store is unusable;
    /// with <see cref="AgentConfig.Trust"/>, a profile unsealed or changed since sealing (77).</exception>
    public static async Task RunAsync(AgentConfig config, Func<IFingerprintStore> openStore, Func<IAgentStore> openAgentStore, TextWriter? console, CancellationToken stop, Func<AgentConfig>? reloadConfig = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(openStore);
        ArgumentNullException.ThrowIfNull(openAgentStore);

        // The host registers its own SIGTERM and Ctrl+C handlers only once it runs: a stop asked
        // while the stores open (a slow start on a loaded host, systemd stopping a starting unit)
        // would otherwise end the process with 143 instead of a clean stop.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, RequestStop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, RequestStop);
        void RequestStop(PosixSignalContext context)
        {
            context.Cancel = true;
            stopping.Cancel();
        }

        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ApplicationName = "sysprint",
            ContentRootPath = AppContext.BaseDirectory,
        });
        ConfigureLogging(builder, config);
        builder.Services.AddSystemd();
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(config.ShutdownTimeoutSeconds + 10));

        // Opened before the host so that a bad sink or a missing profile fails the command at once.
        var stores = new AgentStores(_ => openStore(), _ => openAgentStore());
        using ILoggerFactory loggers = LoggerFactory.Create(b => ConfigureLogging(b, config));
        using var runtime = new AgentRuntime(AgentSession.Open(config, stores, console, loggers), reloadConfig, stores, console, loggers);
        AgentMetrics? metrics = null;
        try
        {
            // Served for the process's life: a reload (SIGHUP) keeps the address, as it keeps the store.
            if (config.Metrics is not null && MetricsAddress.Parse(config.Metrics, out _) is { } address)
            {
                metrics = AgentMetrics.Start(address, () => runtime.Session, loggers.CreateLogger<AgentMetrics>());
            }

            builder.Services.AddSingleton(runtime);
            builder.Services.AddHostedService<AgentWorker>();
            using IHost host = builder.Build();
            if (!stopping.IsCancellationRequested)
            {
                await host.RunAsync(stopping.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopped before the host had started: nothing was read yet, so nothing is lost.
        }
        finally
        {
            metrics?.Dispose();
            await runtime.Session.DisposeAsync().ConfigureAwait(false);
        }

        if (runtime.Failure is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    private static void ConfigureLogging(HostApplicationBuilder builder, AgentConfig config) => ConfigureLogging(builder.Logging, config);

    private static void ConfigureLogging(ILoggingBuilder logging, AgentConfig config)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(Enum.Parse<LogLevel>(config.LogLevel));
        logging.AddFilter("Microsoft", LogLevel.Warning);
        bool systemd = config.LogFormat == "systemd" || (config.LogFormat == "simple" && SystemdHelpers.IsSystemdService());
        if (config.LogFormat == "json")
        {
            logging.AddJsonConsole(o => o.UseUtcTimestamp = true);
        }
        else if (systemd)
        {
            logging.AddSystemdConsole(o => o.UseUtcTimestamp = true);
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
            });
        }

        logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}

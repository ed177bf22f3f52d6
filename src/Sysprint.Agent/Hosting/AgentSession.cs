using Microsoft.Extensions.Logging;
using Sysprint.Agent.Alerts;
using Sysprint.Agent.Fleet;
using Sysprint.Agent.Outbox;
using Sysprint.Agent.Sinks;
using Sysprint.Agent.Watch;
using Sysprint.Integrity;
using Sysprint.Storage;

namespace Sysprint.Agent.Hosting;

/// <summary>
/// What one configuration of the agent runs: its store connections, the outbox with its sinks and
/// the spool watcher. A reload (SIGHUP) ends the session, as a restart would (progress
/// checkpointed, pending alerts left in the store's outbox), and opens the next one from the config
/// read again, so the fingerprints and sinks are read anew in the same process.
/// </summary>
internal sealed class AgentSession : IAsyncDisposable
{
    private readonly IFingerprintStore _store;
    private readonly IAgentStore _watcherStore;
    private readonly FleetConnection? _fleet;
    private readonly HeartbeatService? _heartbeats;
    private readonly ProfileSync? _profiles;
    private readonly FleetLearner? _learner;
    private bool _disposed;

    private AgentSession(AgentConfig config, IFingerprintStore store, IAgentStore watcherStore, AlertOutbox outbox, SpoolWatcher watcher, FleetConnection? fleet,
        HeartbeatService? heartbeats, ProfileSync? profiles, FleetLearner? learner)
    {
        _profiles = profiles;
        _learner = learner;
        Config = config;
        _store = store;
        _watcherStore = watcherStore;
        Outbox = outbox;
        Watcher = watcher;
        _fleet = fleet;
        _heartbeats = heartbeats;
    }

    public AgentConfig Config { get; }

    public AlertOutbox Outbox { get; }

    public SpoolWatcher Watcher { get; }

    /// <summary>
    /// Why this session cannot check yet (a profile the fleet has not sent so far), or null. The
    /// worker then waits for the profiles (<see cref="WaitForProfilesAsync"/>) and opens the session
    /// again, so that the mapping and fingerprints the fleet sent are read afresh.
    /// </summary>
    public string? Awaiting { get; private init; }

    /// <summary>The server this session's agent reports to, or null.</summary>
    public Uri? Server => _fleet?.Client.Server;

    /// <summary>Looks in the store every second until every profile the config names is usable; false when <paramref name="stop"/> came first.</summary>
    public async Task<bool> WaitForProfilesAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (Watcher.TryPrepare() is null)
            {
                return true;
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return false;
    }

    /// <summary>False once disposed (a reload that could open no next session leaves it so).</summary>
    public bool IsOpen => !_disposed;

    /// <summary>The start-up line: what this session watches, against what, and where alerts go.</summary>
    public string Describe()
    {
        SinkSettings sinks = Config.Sinks;
        IEnumerable<string> names = sinks.Jsonl.Select(p => "jsonl:" + p).Concat(sinks.Syslog.Select(s => "syslog:" + s))
            .Concat(sinks.Webhook.Select(w => "webhook:" + w)).Concat(sinks.Program.Select(c => "program:" + c));
        if (Config.Stdout)
        {
            names = names.Prepend("stdout");
        }

        if (_fleet is not null)
        {
            names = names.Append($"server:{_fleet.Client.Server} as host {_fleet.Host}");
        }

        string vmProfiles = Config.VmProfiles.Count == 0 ? "" : " (" + string.Join(", ", Config.VmProfiles.Select(p => $"vm {p.Key}: {p.Value}")) + ")";
        string sinkList = string.Join(", ", names);
        return $"watching {string.Join(", ", Config.Spools)}; profile '{Config.Profile}'{vmProfiles}; detector {Config.Detector ?? "each profile's own"}"
            + (Config.Threshold is { } t ? $", threshold {t}" : "") + $"; trust {Config.Trust ?? "none (fingerprints not seal-checked)"}; sinks: {(sinkList.Length == 0 ? "none" : sinkList)}";
    }

    /// <summary>Opens the stores, sinks and profiles of <paramref name="config"/>; the outbox is started.</summary>
    /// <exception cref="Diagnostics.SysprintException">A profile is missing or fails its seal, a sink address is wrong, the store is unusable.</exception>
    public static AgentSession Open(AgentConfig config, AgentStores stores, TextWriter? console, ILoggerFactory loggers)
    {
        // The key first: an unusable key must fail before the store is touched.
        SealVerifier? verifier = string.IsNullOrEmpty(config.Trust) ? null : SealVerifier.Load(config.Trust);
        IFingerprintStore store = stores.OpenStore(config);
        IAgentStore? watcherStore = null;
        AlertOutbox? outbox = null;
        FleetConnection? fleet = null;
        HeartbeatService? heartbeats = null;
        ProfileSync? profiles = null;
        FleetLearner? learner = null;
        try
        {
            watcherStore = stores.OpenAgentStore(config);
            IAgentStore agentStore = stores.OpenAgentStore(config);
            List<IAlertSink> sinks = config.Sinks.CreateSinks();
            if (config.Server is not null)
            {
                fleet = FleetConnection.OpenAsync(config.Server, config.ServerCa, config.EnrollToken, config.Host ?? config.Hostname ?? Environment.MachineName,
                    config.CredentialFile ?? throw new ArgumentException("a server needs a credential_file", nameof(config)),
                    TimeSpan.FromSeconds(config.DeliveryTimeoutSeconds), loggers.CreateLogger<FleetConnection>(), CancellationToken.None).GetAwaiter().GetResult();
                sinks.Add(new ServerSink(fleet));
            }

            outbox = new AlertOutbox(agentStore, sinks, console, config.ToOutboxOptions(), loggers.CreateLogger<AlertOutbox>())
            {
                HistorySource = AlertSources.Watch,
            };

            // A fleet's server takes only alerts that name the host it enrolled.
            var factory = new AlertFactory(fleet?.Host ?? config.Hostname ?? Environment.MachineName, config.AlertPriority);
            var watcher = new SpoolWatcher(config.ToWatchSettings() with { Verifier = verifier }, store, watcherStore, outbox, factory, loggers.CreateLogger<SpoolWatcher>());

            // An agent of a fleet may start before its profiles are in its store (a new host's
            // empty store): it waits for the server to send them instead of refusing to start.
            string? awaiting = null;
            if (fleet is null)
            {
                watcher.Prepare();
            }
            else
            {
                awaiting = watcher.TryPrepare();
            }
            if (fleet is not null)
            {
                heartbeats = new HeartbeatService(fleet, stores.OpenAgentStore(config), loggers.CreateLogger<HeartbeatService>());

                // Logs finished during a learning window go up to be learnt centrally (over a connection of its own).
                WatchSettings settings = watcher.Settings;
                learner = new FleetLearner(fleet, stores.OpenStore(config),
                    new Parsing.LogReadOptions { Format = settings.Format, SkipMalformed = settings.SkipMalformed, MaxLineBytes = settings.MaxLineBytes },
                    loggers.CreateLogger<FleetLearner>());
                watcher.LogDone = learner.Offer;

                // The fleet's profiles are written into the local store over a connection of their own; the watcher picks them up.
                profiles = new ProfileSync(fleet, stores.OpenStore(config), verifier, outbox, factory, loggers.CreateLogger<ProfileSync>(), learner);
            }

            outbox.Start();
            heartbeats?.Start();
            learner?.Start();
            profiles?.Start();
            return new AgentSession(config, store, watcherStore, outbox, watcher, fleet, heartbeats, profiles, learner) { Awaiting = awaiting };
        }
        catch
        {
            profiles?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            learner?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            heartbeats?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            outbox?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            fleet?.Dispose();
            watcherStore?.Dispose();
            store.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_profiles is not null)
        {
            await _profiles.DisposeAsync().ConfigureAwait(false);
        }

        if (_learner is not null)
        {
            await _learner.DisposeAsync().ConfigureAwait(false);
        }

        if (_heartbeats is not null)
        {
            await _heartbeats.DisposeAsync().ConfigureAwait(false);
        }

        await Outbox.DisposeAsync().ConfigureAwait(false);
        _fleet?.Dispose();
        _watcherStore.Dispose();
        _store.Dispose();
    }
}

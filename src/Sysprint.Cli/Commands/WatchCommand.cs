using System.CommandLine;
using Sysprint.Agent.Hosting;
using Sysprint.Diagnostics;
using Sysprint.Integrity;

using Sysprint.Storage;

namespace Sysprint.Cli.Commands;

/// <summary>
/// <c>sysprint watch [--config FILE] SPOOL...</c>: the Dom-0 agent. Logs of VM <c>NAME</c> arrive
/// under <c>SPOOL/NAME/</c>; each is checked as it is written (an alert as soon as the offending
/// line lands), rotated and compressed logs included, with progress in the store so that a
/// restart raises no alert twice and misses none. Runs until SIGTERM or Ctrl+C.
/// </summary>
internal static class WatchCommand
{
    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Db();
        var config = new Option<string?>("--config")
        {
            Description = "The agent's JSON config file (see deploy/agent.json); flags add spools and sinks to it, --db, --profile, --detector and --threshold override it",
            HelpName = "FILE",
        };
        var profile = new Option<string?>("--profile")
        {
            Description = "Fingerprint profile logs are checked against ('auto': named after each log's first execve); default: the config's, else 'default'",
            HelpName = "NAME",
        };
        var spools = new Argument<string[]>("SPOOL")
        {
            Description = "Spool directories: the logs of VM NAME under SPOOL/NAME/, at any depth",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var detector = new Option<string?>("--detector")
        {
            Description = $"How logs are scored: {string.Join(", ", Engine.Detectors.All)}; default: the config's, else each profile's own (set with 'sysprint profile')",
            HelpName = "NAME",
        };
        var threshold = new Option<double?>("--threshold") { Description = "Score tolerated before a log is anomalous; default: the config's, else the profile's", HelpName = "N" };
        var trust = CommonOptions.Trust();
        var followSymlinks = new Option<bool>("--follow-symlinks")
        {
            Description = "Follow symbolic links in the spools wherever they lead (default: a link leading outside its VM's folder is reported, not read)",
        };
        var server = new Option<string?>("--server")
        {
            Description = "The fleet server (sysprint serve) to enroll with and send alerts and heartbeats to, e.g. https://fleet.example:8443. A new host needs no store first: it is created, and the agent waits for the fleet's profiles before it checks",
            HelpName = "URL",
        };
        var enrollToken = new Option<string?>("--enroll-token")
        {
            Description = "The enrollment secret, needed once (then the host's credential, kept 0600 beside the store, is used); also $SYSPRINT_ENROLL_TOKEN",
            HelpName = "SECRET",
        };
        var host = new Option<string?>("--host") { Description = "The name to enroll under (default: the machine's name)", HelpName = "NAME" };
        var serverCa = new Option<string?>("--server-ca") { Description = "PEM file of the CA that signed the server's certificate: trust only it", HelpName = "FILE" };
        var metrics = new Option<string?>("--metrics")
        {
            Description = "Serve Prometheus metrics at http://HOST:PORT/metrics, e.g. 127.0.0.1:9464 (lines read, syscalls checked, alerts raised, pending per sink, lag per VM, last error)",
            HelpName = "HOST:PORT",
        };
        var sinks = AlertSinkOptions.Create(withQuiet: true);
        var watch = new Command("watch", "Watch spool directories and check VMs' logs as they are written; alert at once (runs as a service)")
        {
            db, config, profile, detector, threshold, trust, followSymlinks, server, enrollToken, host, serverCa, metrics, spools,
        };
        sinks.AddTo(watch);
        watch.SetAction(result =>
        {
            string? configPath = result.GetValue(config);

            // Read at start and again on SIGHUP (a reload): the file as it is then, with the flags.
            AgentConfig Load()
            {
                if (configPath is not null)
                {
                    FilePermissions.RefuseWorldWritable(configPath, "agent's config file");
                }

                AgentConfig settings = configPath is null ? new AgentConfig() : AgentConfig.Load(configPath);
                string? hostname = settings.Hostname ?? context.Environment("SYSPRINT_HOSTNAME");
                settings = settings with
                {
                    Spools = [.. settings.Spools, .. result.GetValue(spools) ?? []],
                    Profile = result.GetValue(profile) ?? settings.Profile,
                    Detector = result.GetValue(detector) ?? settings.Detector,
                    Threshold = result.GetValue(threshold) ?? settings.Threshold,
                    Sinks = sinks.Settings(result, settings.Sinks),
                    Stdout = settings.Stdout && sinks.ShowOnStdout(result),
                    Hostname = string.IsNullOrEmpty(hostname) ? null : hostname,
                    Trust = CommonOptions.TrustPath(result, trust, context, settings.Trust),
                    FollowSymlinks = settings.FollowSymlinks || result.GetValue(followSymlinks),
                    Server = result.GetValue(server) ?? settings.Server,
                    EnrollToken = result.GetValue(enrollToken) ?? settings.EnrollToken ?? NonEmpty(context.Environment("SYSPRINT_ENROLL_TOKEN")),
                    Host = result.GetValue(host) ?? settings.Host,
                    ServerCa = result.GetValue(serverCa) ?? settings.ServerCa,
                    Metrics = result.GetValue(metrics) ?? settings.Metrics,
                };
                if (result.GetValue(metrics) is { } served && Agent.Metrics.MetricsAddress.Parse(served, out string? wrong) is null)
                {
                    throw new SysprintException(ErrorKind.Usage, $"--metrics '{Printable.Escape(served)}': {wrong}");
                }

                if (settings.Server is null && (settings.EnrollToken is not null || settings.ServerCa is not null || settings.Host is not null))
                {
                    throw new SysprintException(ErrorKind.Usage, "--enroll-token, --host and --server-ca need --server (or 'server' in --config)");
                }

                if (settings.Host is not null && !Fleet.HostNames.IsValid(settings.Host))
                {
                    throw new SysprintException(ErrorKind.Usage, $"--host '{Printable.Escape(settings.Host)}': expected letters, digits, '.', '-' and '_' (at most 253)");
                }

                if (settings.Server is not null)
                {
                    // The host's credential lives beside the agent's store unless the config says where.
                    settings = settings with
                    {
                        CredentialFile = settings.CredentialFile ?? StoreLocator.Resolve(result.GetValue(db) ?? settings.Db, context) + ".credential",
                    };
                }

                if (settings.Detector is { } chosen && !Engine.Detectors.All.Contains(chosen))
                {
                    throw new SysprintException(ErrorKind.Usage, $"unknown detector '{chosen}': watch knows {string.Join(", ", Engine.Detectors.All)}");
                }

                if (settings.Spools.Count == 0)
                {
                    throw new SysprintException(ErrorKind.Usage, "no spool to watch: name at least one SPOOL directory, or 'spools' in --config");
                }

                return settings;
            }

            AgentConfig settings = Load();
            StoreAddress address = StoreLocator.Resolve(result.GetValue(db) ?? settings.Db, context);

            // A new host of a fleet needs no store of its own first: created empty, it is filled
            // with the fleet's profiles, which the agent waits for before it checks.
            if (settings.Server is not null && StoreLocator.LocalFiles(address) is [string newStore, ..] && !File.Exists(newStore))
            {
                StoreLocator.Open(address, create: true, context).Dispose();
            }

            // A store or config anyone may rewrite protects nothing: refuse to run on it.
            foreach (string file in StoreLocator.LocalFiles(address))
            {
                FilePermissions.RefuseWorldWritable(file, "store");
            }

            // One agent per store: a second one would read the same logs and race the first for
            // the same outbox rows. A missing store is left to the open below to report (66).
            using AgentLock? held = StoreLocator.LocalFiles(address) is [string storeFile, ..] && File.Exists(storeFile) ? AgentLock.Acquire(storeFile) : null;
            AgentHost.RunAsync(settings, () => StoreLocator.Open(address, create: false, context), () => StoreLocator.OpenAgent(address, context), settings.Stdout ? context.Out : null, CancellationToken.None, Load)
                .GetAwaiter().GetResult();
            return ExitCodes.Ok;
        });
        return watch;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

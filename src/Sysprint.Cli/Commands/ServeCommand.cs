using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sysprint.Diagnostics;
using Sysprint.Fleet;
using Sysprint.Server;
using Sysprint.Storage.Postgres;

namespace Sysprint.Cli.Commands;

/// <summary>
/// <c>sysprint serve --db URL --listen ADDR [--admin-token-file F] [--tls-cert F --tls-key F]</c>:
/// the fleet server. Prints <c>listening on URL</c> on stdout once it accepts connections, logs
/// on stderr, runs until SIGTERM or Ctrl+C.
/// </summary>
internal static class ServeCommand
{
    public static Command Create(CliContext context)
    {
        var db = new Option<string?>("--db") { Description = "The fleet's PostgreSQL store: postgres://USER@HOST[:PORT]/DATABASE or Host=...;Database=... Default: $SYSPRINT_DB", HelpName = "URL" };
        var listen = new Option<string>("--listen") { Description = "Address and port to listen on, e.g. 0.0.0.0:8443 (port 0: any free port)", Required = true, HelpName = "ADDR" };
        var adminToken = new Option<string?>("--admin-token-file")
        {
            Description = "File (mode 0600) holding the admin token that the admin API requires as a bearer token; without it the admin API is off",
            HelpName = "FILE",
        };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate: serve HTTPS (with --tls-key)", HelpName = "FILE" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert", HelpName = "FILE" };
        var heartbeat = new Option<string>("--heartbeat-interval")
        {
            Description = "How often agents send a heartbeat; a host that misses more than 2 is silent",
            DefaultValueFactory = _ => "30s",
            HelpName = "DURATION",
        };
        var sealKey = new Option<string?>("--seal-key")
        {
            Description = "The fleet key (PEM, as 'sysprint seal --key' makes it): every profile sent to agents is sealed with it, for their --trust KEYFILE.pub",
            HelpName = "KEYFILE",
        };
        var logsRoot = new Option<string[]>("--logs-root")
        {
            Description = "A folder whose logs the console may read to show the lines around each mismatch (repeatable; a log is read only when its real path, links resolved, lies under one)",
            HelpName = "DIR",
        };
        var command = new Command("serve", "Run the fleet server: agents enroll, send heartbeats and alerts and receive the profiles; administrators list hosts and alerts")
        {
            db, listen, adminToken, tlsCert, tlsKey, heartbeat, sealKey, logsRoot,
        };
        command.SetAction(result =>
        {
            var options = new ServeOptions
            {
                Listen = FleetServer.ParseListen(result.GetValue(listen)!),
                AdminTokenHash = result.GetValue(adminToken) is { } tokenFile
                    ? SHA256.HashData(Encoding.UTF8.GetBytes(SecretFiles.Read(tokenFile, "admin token")))
                    : null,
                TlsCertificate = result.GetValue(tlsCert),
                TlsKey = result.GetValue(tlsKey),
                HeartbeatInterval = Durations.Parse(result.GetValue(heartbeat)!, "--heartbeat-interval"),
                SealKey = result.GetValue(sealKey) is { } keyFile ? LoadSealKey(keyFile) : null,
                LogsRoots = [.. (result.GetValue(logsRoot) ?? []).Select(dir => Directory.Exists(dir) ? Path.GetFullPath(dir)
                    : throw new SysprintException(ErrorKind.InputMissing, $"--logs-root {Printable.Escape(dir)}: no such folder"))],
            };
            // The console's profiles and "this is normal" use the fingerprint store at the same address.
            Storage.StoreAddress address = StoreLocator.Resolve(result.GetValue(db), context);
            options = options with { OpenFingerprints = () => Storage.StoreBackends.Default.Open(address, new Storage.StoreOpenOptions()) };
            return RunAsync(options, result.GetValue(db), context).GetAwaiter().GetResult();
        });
        return command;
    }

    /// <summary>The fleet key: an existing private key, refused when others may write it.</summary>
    private static System.Security.Cryptography.ECDsa LoadSealKey(string path)
    {
        if (!File.Exists(path))
        {
            throw new SysprintException(ErrorKind.InputMissing, $"--seal-key {path}: no such key; make it with 'sysprint seal --key {path}'");
        }

        return Sysprint.Integrity.SealKeys.LoadOrCreatePrivate(path, out _);
    }

    private static async Task<int> RunAsync(ServeOptions options, string? db, CliContext context)
    {
        await using PostgresFleetStore store = FleetStoreLocator.Open(db, "serve", context);
        await using FleetServer server = await FleetServer.StartAsync(options, store, logging =>
        {
            logging.SetMinimumLevel(LogLevel.Information);
            logging.AddFilter("Microsoft", LogLevel.Warning);
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
            });
            logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        }).ConfigureAwait(false);
        context.Out.WriteLine($"listening on {server.Address.GetLeftPart(UriPartial.Authority)}");
        context.Out.Flush();
        if (options.AdminTokenHash is null)
        {
            context.Note("no --admin-token-file: the admin API is off");
        }

        context.Note($"store {store.Location}");
        await server.WaitForShutdownAsync(CancellationToken.None).ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}

using System.CommandLine;
using System.Globalization;
using Sysprint.Diagnostics;
using Sysprint.Fleet;
using Sysprint.Storage.Postgres;

namespace Sysprint.Cli.Commands;

/// <summary>
/// <c>sysprint hosts [--db URL] [--json]</c>: the enrolled hosts by name, with last seen and state
/// (ok, lagging, silent, revoked); <c>sysprint hosts --revoke NAME</c> stops a host at its next request.
/// </summary>
internal static class HostsCommand
{
    public static Command Create(CliContext context)
    {
        var db = new Option<string?>("--db") { Description = "The fleet's PostgreSQL store (default: $SYSPRINT_DB)", HelpName = "URL" };
        var json = new Option<bool>("--json") { Description = "One JSON object per host" };
        var revoke = new Option<string?>("--revoke") { Description = "Revoke this host: its credential is refused from its next request on", HelpName = "NAME" };
        var command = new Command("hosts", "List the fleet's hosts with their state (ok, lagging, silent, revoked), or revoke one") { db, json, revoke };
        command.SetAction(result => RunAsync(result.GetValue(db), result.GetValue(json), result.GetValue(revoke), context).GetAwaiter().GetResult());
        return command;
    }

    private static async Task<int> RunAsync(string? db, bool json, string? revoke, CliContext context)
    {
        await using PostgresFleetStore store = FleetStoreLocator.Open(db, "hosts", context);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        if (revoke is not null)
        {
            if (!await store.RevokeHostAsync(revoke, now, CancellationToken.None).ConfigureAwait(false))
            {
                throw new SysprintException(ExitCodes.InputMissing, $"{store.Location}: no host named '{Printable.Escape(revoke)}'");
            }

            context.Out.WriteLine($"revoked  {revoke}: its next request is refused");
            return 0;
        }

        IReadOnlyList<FleetHost> hosts = await store.ListHostsAsync(CancellationToken.None).ConfigureAwait(false);
        if (json)
        {
            foreach (FleetHost host in hosts)
            {
                context.Out.WriteLine(FleetJson.ToText(w => FleetJson.WriteHost(w, host, now)));
            }

            return 0;
        }

        if (hosts.Count == 0)
        {
            context.Out.WriteLine("no hosts enrolled");
            return 0;
        }

        int width = Math.Max(4, hosts.Max(h => h.Name.Length));
        context.Out.WriteLine($"{"host".PadRight(width)}  {"state",-8} {"last seen",-24} {"group",-12} {"version",-10} pending  last error");
        foreach (FleetHost host in hosts)
        {
            string seen = host.LastSeen is { } t
                ? string.Create(CultureInfo.InvariantCulture, $"{FleetJson.TimeText(t)[..19]}Z")
                : "never";
            long pending = host.Heartbeat?.Pending.Values.Sum() ?? 0;
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{host.Name.PadRight(width)}  {FleetJson.StateName(host.StateAt(now)),-8} {seen,-24} {host.Group,-12} {host.Heartbeat?.Version ?? "-",-10} {pending,7}  {Printable.Escape(host.Heartbeat?.LastError ?? "-")}"));
        }

        return 0;
    }
}

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
        var binaries = new Option<string?>("--binaries")
        {
            Description = "The hosts whose binary of PROGRAM (a name, or a path with a '/') differs from the fleet's majority, from the SHA-256 each host's latest run or attach recorded",
            HelpName = "PROGRAM",
        };
        var command = new Command("hosts", "List the fleet's hosts with their state (ok, lagging, silent, revoked), or revoke one, or compare a program's binaries")
        {
            db, json, revoke, binaries,
        };
        command.SetAction(result => RunAsync(result.GetValue(db), result.GetValue(json), result.GetValue(revoke), result.GetValue(binaries), context)
            .GetAwaiter().GetResult());
        return command;
    }

    private static async Task<int> RunAsync(string? db, bool json, string? revoke, string? binaries, CliContext context)
    {
        if (revoke is not null && binaries is not null)
        {
            throw new SysprintException(ErrorKind.Usage, "--revoke and --binaries do different things: give one");
        }

        await using PostgresFleetStore store = FleetStoreLocator.Open(db, "hosts", context);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        if (binaries is not null)
        {
            ProgramBinaries found = await store.BinariesAsync(binaries, CancellationToken.None).ConfigureAwait(false);
            WriteBinaries(context.Out, found, json);
            return 0;
        }

        if (revoke is not null)
        {
            if (!await store.RevokeHostAsync(revoke, now, CancellationToken.None).ConfigureAwait(false))
            {
                throw new SysprintException(ErrorKind.InputMissing, $"{store.Location}: no host named '{Printable.Escape(revoke)}'");
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

    /// <summary>
    /// Text: a line on the majority, then one line per differing host. JSON, one object:
    /// <c>{"program", "hosts", "binaries", "majority": {"sha256", "hosts"} | null, "differing": [{"host", "sha256", "path", "seen"}]}</c>.
    /// </summary>
    private static void WriteBinaries(TextWriter output, ProgramBinaries found, bool json)
    {
        if (json)
        {
            output.WriteLine(FleetJson.ToText(w =>
            {
                w.WriteStartObject();
                w.WriteString("program", found.Program);
                w.WriteNumber("hosts", found.Hosts.Count);
                w.WriteNumber("binaries", found.Distinct);
                if (found.Majority is { } majority)
                {
                    w.WriteStartObject("majority");
                    w.WriteString("sha256", majority);
                    w.WriteNumber("hosts", found.MajorityHosts);
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteNull("majority");
                }

                w.WriteStartArray("differing");
                foreach (HostBinary host in found.Differing)
                {
                    w.WriteStartObject();
                    w.WriteString("host", host.Host);
                    w.WriteString("sha256", host.Sha256);
                    if (host.Path is null)
                    {
                        w.WriteNull("path");
                    }
                    else
                    {
                        w.WriteString("path", host.Path);
                    }

                    w.WriteString("seen", FleetJson.TimeText(host.Seen));
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }));
            return;
        }

        string name = Printable.Escape(found.Program);
        if (found.Hosts.Count == 0)
        {
            output.WriteLine($"no host recorded a run or attach of '{name}' with its binary (sysprint run|attach --db postgres://... records it)");
            return;
        }

        string hosts = found.Hosts.Count == 1 ? "1 host" : string.Create(CultureInfo.InvariantCulture, $"{found.Hosts.Count} hosts");
        output.WriteLine(found.Majority switch
        {
            null => string.Create(CultureInfo.InvariantCulture, $"{name}: {hosts}, {found.Distinct} binaries, no majority (a tie): every host listed"),
            string m when found.Differing.Count == 0 => $"{name}: {hosts}, all run the same binary, sha256 {m}",
            string m => string.Create(CultureInfo.InvariantCulture,
                $"{name}: {hosts}; the majority ({found.MajorityHosts}) run sha256 {m}; {found.Differing.Count} differ:"),
        });
        if (found.Differing.Count == 0)
        {
            return;
        }

        int width = Math.Max(4, found.Differing.Max(h => h.Host.Length));
        output.WriteLine($"{"host".PadRight(width)}  {"sha256",-64}  {"last run",-20}  path");
        foreach (HostBinary host in found.Differing)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{host.Host.PadRight(width)}  {host.Sha256,-64}  {FleetJson.TimeText(host.Seen)[..19]}Z  {Printable.Escape(host.Path ?? "-")}"));
        }
    }
}

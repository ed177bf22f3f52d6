using System.CommandLine;
using Sysprint.Fleet;
using Sysprint.Storage.Postgres;

namespace Sysprint.Cli.Commands;

/// <summary>
/// <c>sysprint enroll-token --db URL [--expires 24h] [--group NAME]</c>: a new enrollment secret,
/// printed on the last line of stdout. Any number of hosts may enroll with it until it expires
/// or is revoked; the store keeps only its hash.
/// </summary>
internal static class EnrollTokenCommand
{
    public static Command Create(CliContext context)
    {
        var db = new Option<string?>("--db") { Description = "The fleet's PostgreSQL store (default: $SYSPRINT_DB)", HelpName = "URL" };
        var expires = new Option<string?>("--expires") { Description = "How long the secret is valid, e.g. 24h or 7d (default: until revoked)", HelpName = "DURATION" };
        var group = new Option<string>("--group")
        {
            Description = "The group the hosts enrolled with it join",
            DefaultValueFactory = _ => EnrollTokens.DefaultGroup,
            HelpName = "NAME",
        };
        var command = new Command("enroll-token", "Make an enrollment secret for agents (printed on the last line of stdout)") { db, expires, group };
        command.SetAction(result =>
        {
            TimeSpan? validFor = result.GetValue(expires) is { } text ? Durations.Parse(text, "--expires") : null;
            return RunAsync(result.GetValue(db), result.GetValue(group)!, validFor, context).GetAwaiter().GetResult();
        });
        return command;
    }

    private static async Task<int> RunAsync(string? db, string group, TimeSpan? validFor, CliContext context)
    {
        await using PostgresFleetStore store = FleetStoreLocator.Open(db, "enroll-token", context);
        var (stored, secret) = await EnrollTokens.CreateAsync(store, group, validFor, DateTimeOffset.UtcNow, CancellationToken.None).ConfigureAwait(false);
        string until = stored.Expires is { } e ? "until " + FleetJson.TimeText(e) : "until revoked";
        context.Out.WriteLine($"enrollment secret #{stored.Id} for group '{stored.Group}', valid {until}; the store keeps only its hash, so keep it now:");
        context.Out.WriteLine(secret);
        return 0;
    }
}

using System.Net;
using System.Text.Json;
using Sysprint.Cli;
using Sysprint.Fleet.Tests.Server;
using Sysprint.Fleet.Tests.Support;

namespace Sysprint.Fleet.Tests.Cli;

/// <summary><c>enroll-token</c>, <c>hosts</c> and <c>alerts</c> against the fleet's PostgreSQL store, with a real server taking the agents' requests.</summary>
public sealed class FleetCommandsTests : FleetFixture
{
    [Fact]
    public async Task Enroll_token_prints_a_secret_on_its_last_line_that_a_host_enrolls_with()
    {
        var (exit, output, error) = Support.Cli.Run("enroll-token", "--db", Db.Url, "--expires", "24h", "--group", "web");
        string secret = output.TrimEnd('\n').Split('\n')[^1];

        using HttpResponseMessage enroll = await Server.SendAsync(HttpMethod.Post, "/api/agent/enroll", $$"""{"enroll_secret":"{{secret}}","host":"hv-1"}""");

        Assert.Equal((0, ""), (exit, error));
        Assert.StartsWith("enrollment secret #1 for group 'web', valid until ", output, StringComparison.Ordinal);
        Assert.True(FleetSecrets.LooksLike(secret, FleetSecrets.EnrollPrefix));
        Assert.Equal(HttpStatusCode.Created, enroll.StatusCode);
        Assert.Equal("web", (await TestServer.JsonAsync(enroll)).GetProperty("group").GetString());
    }

    [Fact]
    public async Task Hosts_lists_each_host_with_its_state_and_revoke_stops_it()
    {
        string a = await Server.EnrollAsync("host-a");
        await Server.EnrollAsync("host-b");
        (await Server.SendAsync(HttpMethod.Post, "/api/agent/heartbeat", """{"version":"1.2.3","pending":{"server":0}}""", a)).Dispose();

        var (exit, output, _) = Support.Cli.Run("hosts", "--db", Db.Url);
        var (revokeExit, revokeOut, _) = Support.Cli.Run("hosts", "--db", Db.ConnectionString, "--revoke", "host-a");
        var (jsonExit, json, _) = Support.Cli.Run("hosts", "--db", Db.Url, "--json");
        using HttpResponseMessage refused = await Server.SendAsync(HttpMethod.Post, "/api/agent/heartbeat", """{"version":"1.2.3"}""", a);

        Assert.Equal(0, exit);
        string[] lines = output.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^host-a  ok       \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ     default      1\.2\.3            0  -$", lines[1]);
        Assert.Matches(@"^host-b  ok       never +default      - +0  -$", lines[2]);
        Assert.Equal((0, "revoked  host-a: its next request is refused\n"), (revokeExit, revokeOut));
        Assert.Equal(0, jsonExit);
        JsonElement[] hosts = [.. json.TrimEnd('\n').Split('\n').Select(l => JsonDocument.Parse(l).RootElement.Clone())];
        Assert.Equal(["host-a revoked", "host-b ok"], hosts.Select(h => $"{h.GetProperty("name").GetString()} {h.GetProperty("state").GetString()}"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public void Revoking_an_unknown_host_says_so_with_exit_66()
    {
        var (exit, _, error) = Support.Cli.Run("hosts", "--db", Db.Url, "--revoke", "nobody");

        Assert.Equal(ExitCodes.InputMissing, exit);
        Assert.Equal($"sysprint: error: {Db.Url}: no host named 'nobody'\n", error);
    }

    [Fact]
    public async Task Alerts_lists_every_hosts_alerts_in_the_one_history_with_id_and_host_and_filters_by_host()
    {
        string a = await Server.EnrollAsync("host-a");
        string b = await Server.EnrollAsync("host-b");
        (await Server.SendAsync(HttpMethod.Post, "/api/agent/alerts", AgentApiTests.Batch("host-a", 1, 2), a)).Dispose();
        (await Server.SendAsync(HttpMethod.Post, "/api/agent/alerts", AgentApiTests.Batch("host-b", 3), b)).Dispose();

        var (exit, output, _) = Support.Cli.Run("alerts", "--db", Db.Url, "--json");
        var (_, onlyB, _) = Support.Cli.Run("alerts", "--db", Db.Url, "--json", "--host", "host-b");
        var (_, text, _) = Support.Cli.Run("alerts", "--db", Db.Url, "--host", "host-a");

        Assert.Equal(0, exit);
        JsonElement[] all = [.. output.TrimEnd('\n').Split('\n').Select(l => JsonDocument.Parse(l).RootElement.Clone())];
        Assert.Equal(
            [$"{Alerts.Upload(3).Uuid} host-b", $"{Alerts.Upload(2).Uuid} host-a", $"{Alerts.Upload(1).Uuid} host-a"],
            all.Select(x => $"{x.GetProperty("id").GetString()} {x.GetProperty("host").GetString()}"));
        Assert.Equal(("web-01", "watch"), (all[0].GetProperty("vm").GetString(), all[0].GetProperty("source").GetString()));
        Assert.Equal(("transition mmap -> socket in log 3", 1, JsonValueKind.Null),
            (all[0].GetProperty("summary").GetString(), all[0].GetProperty("mismatches").GetInt32(), all[0].GetProperty("rule").ValueKind));
        Assert.Single(onlyB.TrimEnd('\n').Split('\n'));
        Assert.Equal(2, text.TrimEnd('\n').Split('\n').Length);
        Assert.Contains("Z  host host-a  watch  vm web-01  log -  transition mmap -> socket in log 2", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hosts", "hosts needs the fleet's PostgreSQL store: --db postgres://USER@HOST[:PORT]/DATABASE (or $SYSPRINT_DB), not 'local.db'")]
    [InlineData("enroll-token", "enroll-token needs the fleet's PostgreSQL store: --db postgres://USER@HOST[:PORT]/DATABASE (or $SYSPRINT_DB), not 'local.db'")]
    public void Fleet_commands_on_a_sqlite_file_are_usage_errors(string command, string message)
    {
        var (exit, _, error) = Support.Cli.Run(command, "--db", "local.db");

        Assert.Equal((ExitCodes.Usage, $"sysprint: error: {message}\n"), (exit, error));
    }

    [Fact]
    public void A_bad_expiry_is_a_usage_error_naming_the_forms()
    {
        var (exit, _, error) = Support.Cli.Run("enroll-token", "--db", Db.Url, "--expires", "tomorrow");

        Assert.Equal((ExitCodes.Usage, "sysprint: error: --expires 'tomorrow': expected a positive whole number and a unit: s, m, h or d (e.g. 24h)\n"), (exit, error));
    }
}

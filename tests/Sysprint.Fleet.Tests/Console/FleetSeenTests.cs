using System.Net;
using System.Text.Json;
using Sysprint.Fleet.Tests.Support;

namespace Sysprint.Fleet.Tests.Console;

/// <summary>
/// "Seen on N of M hosts" (issue 13 item 6): one definition, the PostgreSQL store's, in
/// <c>sysprint alerts --json</c>, <c>GET /api/alerts</c> and the alert detail, over agents' alerts
/// and a host's own <c>check</c> recorded centrally, on a real server and PostgreSQL.
/// </summary>
public sealed class FleetSeenTests : FleetFixture
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_mismatch_says_on_how_many_hosts_of_the_fleet_its_transition_was_seen_under_its_profile_in_7_days()
    {
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        // close -> socket under 'default': hv-01 and hv-02 now, hv-03 8 days ago (too old), hv-05 before it was revoked.
        await fleet.SendAlertAsync("hv-01", prev: "close", next: "socket");
        await fleet.SendAlertAsync("hv-01", prev: "close", next: "socket", time: now.AddMinutes(-5));
        await fleet.SendAlertAsync("hv-02", prev: "close", next: "socket", time: now.AddDays(-6));
        await fleet.SendAlertAsync("hv-03", prev: "close", next: "socket", time: now.AddDays(-8));
        await fleet.SendAlertAsync("hv-05", prev: "close", next: "socket");
        // The same transition under another profile is another fleet view; hv-04 is enrolled and counts in M.
        await fleet.SendAlertAsync("hv-04", prev: "close", next: "socket", profile: "nginx");
        using (HttpResponseMessage revoke = await fleet.Server.SendAsync(HttpMethod.Post, "/api/hosts/hv-05/revoke", "{}", TestServer.AdminToken))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }

        // A host not enrolled records its own check centrally: close -> socket and socket -> write.
        string tampered = fleet.Dir.Write("tampered.strace", ConsoleFleet.TamperedLog);
        Assert.Equal(1, Support.Cli.RunAs("hv-cli", "check", "--db", fleet.StoreUrl, tampered).Exit);

        var (exit, output, error) = Support.Cli.Run("alerts", "--db", fleet.StoreUrl, "--json", "--limit", "100");
        var (textExit, text, _) = Support.Cli.Run("alerts", "--db", fleet.StoreUrl, "--host", "hv-cli");
        JsonElement list = await GetAsync(fleet, "/api/alerts?host=hv-01&limit=1");
        JsonElement nginx = await GetAsync(fleet, "/api/alerts?program=nginx");
        long seq = list.GetProperty("alerts")[0].GetProperty("seq").GetInt64();
        JsonElement detail = await GetAsync(fleet, $"/api/alerts/{seq}");

        Assert.True(exit == 0, error);
        JsonElement[] alerts = [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement)];
        JsonElement cli = alerts.Single(a => a.GetProperty("host").GetString() == "hv-cli");
        // M = hv-01..hv-04 enrolled and not revoked, and hv-cli, which alerted in the period.
        Assert.Equal(["3 of 5 in 7", "1 of 5 in 7"], Seen(cli.GetProperty("details")));
        Assert.Equal(["3 of 5 in 7"], Seen(alerts.First(a => a.GetProperty("host").GetString() == "hv-01").GetProperty("details")));
        Assert.Equal(["1 of 5 in 7"], Seen(alerts.Single(a => a.GetProperty("host").GetString() == "hv-04").GetProperty("details")));
        Assert.Equal((0, true), (textExit, text.TrimEnd().EndsWith("  seen on 3, 1 of 5 hosts in 7 days", StringComparison.Ordinal)));
        Assert.Equal(["3 of 5 in 7"], Seen(list.GetProperty("alerts")[0].GetProperty("fleet")));
        Assert.Equal(["1 of 5 in 7"], Seen(nginx.GetProperty("alerts")[0].GetProperty("fleet")));
        Assert.Equal(["3 of 5 in 7"], Seen(detail.GetProperty("alert").GetProperty("fleet")));
        Assert.Equal("3 of 5 in 7", One(detail.GetProperty("fleet")));
    }

    [Fact]
    public async Task An_internal_alert_has_no_fleet_view_and_a_store_of_one_host_adds_none_to_alerts_json()
    {
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this);
        string tampered = fleet.Dir.Write("tampered.strace", ConsoleFleet.TamperedLog);
        string normal = fleet.Dir.Write("normal.strace", ConsoleFleet.NormalLog);
        string local = fleet.Dir.PathOf("local.db");
        Assert.Equal(0, Support.Cli.Run("train", "--db", local, normal).Exit);
        Assert.Equal(1, Support.Cli.Run("check", "--db", local, tampered).Exit);

        var (exit, output, _) = Support.Cli.Run("alerts", "--db", local, "--json");

        Assert.Equal(0, exit);
        Assert.DoesNotContain("\"fleet\"", output, StringComparison.Ordinal);
    }

    private static string[] Seen(JsonElement array) =>
        [.. array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("fleet", out JsonElement f) ? One(f) : One(e))];

    private static string One(JsonElement seen) =>
        seen.ValueKind == JsonValueKind.Null ? "null"
            : $"{seen.GetProperty("hosts").GetInt64()} of {seen.GetProperty("of").GetInt64()} in {seen.GetProperty("days").GetInt32()}";

    private static async Task<JsonElement> GetAsync(ConsoleFleet fleet, string path)
    {
        using HttpResponseMessage response = await fleet.Server.SendAsync(HttpMethod.Get, path, bearer: TestServer.AdminToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        return await TestServer.JsonAsync(response);
    }
}

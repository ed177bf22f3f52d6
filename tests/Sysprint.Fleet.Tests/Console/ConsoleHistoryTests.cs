using System.Net;
using System.Text.Json;
using Sysprint.Fleet.Tests.Support;

namespace Sysprint.Fleet.Tests.Console;

/// <summary>
/// The console over the whole alert history: alerts that check, run and attach recorded in the
/// PostgreSQL store (no agent, no host id) beside the agents' ones; "this is normal" on such an
/// alert learns each of its mismatches; on a call-set finding it explains why it cannot learn.
/// </summary>
public sealed class ConsoleHistoryTests : FleetFixture
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_check_recorded_centrally_is_listed_explained_and_learnt_as_normal_with_every_mismatch()
    {
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this);
        string tampered = fleet.Dir.Write("tampered.strace", ConsoleFleet.TamperedLog);
        await fleet.SendAlertAsync("hv-01", prev: "close", next: "socket");
        Assert.Equal(1, Support.Cli.RunAs("hv-cli", "check", "--db", fleet.StoreUrl, "--vm", "web-07", tampered).Exit);

        JsonElement list = await GetAsync(fleet, "/api/alerts?host=hv-cli");
        JsonElement cli = Assert.Single(list.GetProperty("alerts").EnumerateArray());
        long seq = cli.GetProperty("seq").GetInt64();
        JsonElement detail = await GetAsync(fleet, $"/api/alerts/{seq}");
        JsonElement overview = await GetAsync(fleet, "/api/overview");
        using HttpResponseMessage normal = await fleet.Server.SendAsync(HttpMethod.Post, $"/api/alerts/{seq}/normal", """{"confirm":true}""", TestServer.AdminToken);
        JsonElement learnt = await TestServer.JsonAsync(normal);
        var (cleanExit, cleanOut, _) = Support.Cli.Run("check", "--db", fleet.StoreUrl, tampered);
        JsonElement agentAlert = (await GetAsync(fleet, "/api/alerts?host=hv-01")).GetProperty("alerts")[0];

        Assert.Equal(("hv-cli", "check", "web-07", tampered, "default", "paper", "new"),
            (cli.GetProperty("host").GetString(), cli.GetProperty("source").GetString(), cli.GetProperty("vm").GetString(), cli.GetProperty("log").GetString(),
             cli.GetProperty("profile").GetString(), cli.GetProperty("detector").GetString(), cli.GetProperty("status").GetString()));
        Assert.Equal(2, cli.GetProperty("fleet").GetArrayLength());
        Assert.Equal(2, cli.GetProperty("alert").GetProperty("details").GetArrayLength());
        JsonElement explanation = detail.GetProperty("explanation");
        Assert.Equal(("transition", "close", "socket", "close socket", 4L), (explanation.GetProperty("kind").GetString(), explanation.GetProperty("prev").GetString(),
            explanation.GetProperty("next").GetString(), explanation.GetProperty("window").GetString(), explanation.GetProperty("line").GetInt64()));
        Assert.Contains(overview.GetProperty("alerts_24h").GetProperty("by_host").EnumerateArray(), c => c.GetProperty("key").GetString() == "hv-cli");
        Assert.Equal(HttpStatusCode.OK, normal.StatusCode);
        Assert.Equal(["close socket", "socket write"], learnt.GetProperty("windows").EnumerateArray().Select(w => w.GetString()!));
        Assert.Equal((2, 2), (learnt.GetProperty("new_transitions").GetInt32(), learnt.GetProperty("dismissed").GetInt32()));
        Assert.True(cleanExit == 0, cleanOut);
        Assert.Equal("dismissed", agentAlert.GetProperty("status").GetString());
    }

    [Fact]
    public async Task This_is_normal_on_a_call_set_finding_says_why_one_call_cannot_be_learnt_and_what_learns_the_run()
    {
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this);
        string json = ConsoleFleet.MismatchJson(Guid.NewGuid(), DateTimeOffset.UtcNow, "hv-01", "web-01", "default", "callset", "cat", "close", "ptrace", 7)
            .Replace("\"detector\":\"callset\"", "\"detector\":\"callset\",\"reason\":\"call not in the nearest normal run\"", StringComparison.Ordinal);
        using (HttpResponseMessage sent = await fleet.Server.SendAsync(HttpMethod.Post, "/api/agent/alerts", """{"alerts":[""" + json + "]}",
            await fleet.CredentialAsync("hv-01")))
        {
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        }

        long seq = (await GetAsync(fleet, "/api/alerts")).GetProperty("alerts")[0].GetProperty("seq").GetInt64();
        using HttpResponseMessage normal = await fleet.Server.SendAsync(HttpMethod.Post, $"/api/alerts/{seq}/normal", """{"confirm":true}""", TestServer.AdminToken);

        Assert.Equal(HttpStatusCode.Conflict, normal.StatusCode);
        Assert.Equal($"alert {seq} is a call-set finding: the run made ptrace, a call the nearest normal run learnt into profile 'default' never makes. "
            + "The call-set detector compares each run's whole set of calls with the learnt runs' sets, so one call cannot be learnt alone: "
            + "learn the run's log itself on host hv-01: sysprint train --db STORE --profile default /var/spool/sysprint/web-01/cat-7.strace",
            await TestServer.ErrorAsync(normal));
    }

    [Fact]
    public async Task The_detail_shows_the_log_lines_around_each_mismatch_only_for_logs_under_the_logs_root()
    {
        using var logs = new TempDir();
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this, o => o with { LogsRoots = [logs.Root] });
        string inside = logs.Write("spool/web-07/run.strace", ConsoleFleet.TamperedLog);
        string outside = fleet.Dir.Write("secret/run.strace", ConsoleFleet.TamperedLog);
        string link = logs.PathOf("spool/web-07/link.strace");
        File.CreateSymbolicLink(link, outside);
        foreach (string log in new[] { inside, link, logs.PathOf("spool/web-07/../../../" + Path.GetFileName(fleet.Dir.Root) + "/secret/run.strace") })
        {
            Assert.Equal(1, Support.Cli.RunAs("hv-cli", "check", "--db", fleet.StoreUrl, log).Exit);
        }

        JsonElement[] alerts = [.. (await GetAsync(fleet, "/api/alerts?host=hv-cli")).GetProperty("alerts").EnumerateArray()];
        var contexts = new List<JsonElement>();
        foreach (JsonElement alert in alerts.Reverse())
        {
            contexts.Add((await GetAsync(fleet, $"/api/alerts/{alert.GetProperty("seq").GetInt64()}")).GetProperty("log_context"));
        }

        JsonElement first = contexts[0][0];
        Assert.Equal(4, first.GetProperty("line").GetInt64());
        Assert.Equal([1L, 2, 3, 4, 5, 6, 7], first.GetProperty("context").GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("n").GetInt64()));
        Assert.Equal("100   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3", first.GetProperty("context").GetProperty("lines")[3].GetProperty("text").GetString());
        Assert.Equal(2, contexts[0].GetArrayLength());
        Assert.All(contexts.Skip(1), c => Assert.Equal((JsonValueKind.Null, "the log is not under the server's --logs-root"),
            (c[0].GetProperty("context").GetProperty("lines").ValueKind, c[0].GetProperty("context").GetProperty("reason").GetString())));
    }

    private static async Task<JsonElement> GetAsync(ConsoleFleet fleet, string path)
    {
        using HttpResponseMessage response = await fleet.Server.SendAsync(HttpMethod.Get, path, bearer: TestServer.AdminToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        return await TestServer.JsonAsync(response);
    }
}

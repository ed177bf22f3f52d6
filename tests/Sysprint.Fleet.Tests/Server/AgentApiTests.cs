using System.Net;
using Sysprint.Fleet.Tests.Support;

namespace Sysprint.Fleet.Tests.Server;

/// <summary>Agents against a real server on loopback and a real PostgreSQL: enrollment, heartbeats, alerts.</summary>
public sealed class AgentApiTests : FleetFixture
{
    [Fact]
    public async Task An_enrolled_host_sends_a_heartbeat_and_alerts_that_are_stored_once_however_often_sent()
    {
        string credential = await Server.EnrollAsync("host-a");
        string batch = Batch("host-a", 1, 2, 3);

        using HttpResponseMessage beat = await Server.SendAsync(HttpMethod.Post, "/api/agent/heartbeat",
            """{"version":"1.0.0","lag_bytes":512,"files":3,"pending":{"server":3},"last_error":null}""", credential);
        using HttpResponseMessage first = await Server.SendAsync(HttpMethod.Post, "/api/agent/alerts", batch, credential);
        using HttpResponseMessage again = await Server.SendAsync(HttpMethod.Post, "/api/agent/alerts", batch, credential);
        IReadOnlyList<FleetAlert> stored = await Server.Store.ListAlertsAsync(new FleetAlertQuery(), TestContext.Current.CancellationToken);
        FleetHost host = Assert.Single(await Server.Store.ListHostsAsync(TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.OK, beat.StatusCode);
        Assert.Equal("""{"received":3,"stored":3}""", await first.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("""{"received":3,"stored":0}""", await again.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(3, stored.Count);
        Assert.All(stored, a => Assert.Equal("host-a", a.Host));
        Assert.Equal(("1.0.0", 512L, 3L), (host.Heartbeat!.Version, host.Heartbeat.LagBytes, host.Heartbeat.Files));
        Assert.NotNull(host.LastSeen);
    }

    [Fact]
    public async Task Two_server_instances_over_one_database_serve_the_same_fleet()
    {
        TestServer second = await StartServerAsync();
        string credential = await Server.EnrollAsync("host-a");

        using HttpResponseMessage onSecond = await second.SendAsync(HttpMethod.Post, "/api/agent/alerts", Batch("host-a", 1, 2), credential);
        using HttpResponseMessage retryOnFirst = await Server.SendAsync(HttpMethod.Post, "/api/agent/alerts", Batch("host-a", 2, 3), credential);

        Assert.Equal(HttpStatusCode.OK, onSecond.StatusCode);
        Assert.Equal("""{"received":2,"stored":1}""", await retryOnFirst.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(3, (await second.Store.ListAlertsAsync(new FleetAlertQuery(), TestContext.Current.CancellationToken)).Count);
    }

    [Fact]
    public async Task The_enrollment_answer_names_the_host_its_group_and_the_heartbeat_interval()
    {
        string secret = await Server.EnrollSecretAsync("web");

        using HttpResponseMessage response = await Server.SendAsync(HttpMethod.Post, "/api/agent/enroll", $$"""{"enroll_secret":"{{secret}}","host":"hv-01.dc2"}""");
        var body = await TestServer.JsonAsync(response);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(("hv-01.dc2", "web", 30), (body.GetProperty("host").GetString(), body.GetProperty("group").GetString(), body.GetProperty("heartbeat_interval_s").GetInt32()));
        Assert.True(FleetSecrets.LooksLike(body.GetProperty("credential").GetString(), FleetSecrets.CredentialPrefix));
    }

    [Fact]
    public async Task Many_hosts_enroll_with_one_secret_and_a_name_is_never_taken_over()
    {
        string secret = await Server.EnrollSecretAsync();
        await Server.EnrollAsync("host-a", secret);
        await Server.EnrollAsync("host-b", secret);

        using HttpResponseMessage again = await Server.SendAsync(HttpMethod.Post, "/api/agent/enroll", $$"""{"enroll_secret":"{{secret}}","host":"host-a"}""");

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("a host named 'host-a' is already enrolled: a name is not taken over; enroll under another --host", await TestServer.ErrorAsync(again));
        Assert.Equal(2, (await Server.Store.ListHostsAsync(TestContext.Current.CancellationToken)).Count);
    }

    internal static string Batch(string host, params int[] numbers) =>
        """{"alerts":[""" + string.Join(',', numbers.Select(n => Alerts.Upload(n, host).Json)) + "]}";
}

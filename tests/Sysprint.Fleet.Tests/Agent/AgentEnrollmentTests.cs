using System.Net;
using Sysprint.Fleet.Tests.Support;

namespace Sysprint.Fleet.Tests.Agent;

/// <summary>
/// The real agent (<c>sysprint watch --server</c>, a child process) against a real server and
/// PostgreSQL: it enrolls, keeps its credential 0600, sends heartbeats and its alerts, stored
/// centrally once however often it restarts.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AgentEnrollmentTests : FleetFixture
{
    private const string Normal = HostnameLogs.Normal;

    private static string Injected => HostnameLogs.SocketAfterRead(200, exited: false);

    private readonly TempDir _dir = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_agent_enrolls_once_sends_heartbeats_and_its_alerts_and_after_a_crash_needs_no_secret_and_repeats_nothing()
    {
        string db = TrainedStore();
        string spool = Path.Combine(_dir.Root, "spool");
        Directory.CreateDirectory(Path.Combine(spool, "vm1"));
        string secret = await Server.EnrollSecretAsync("web");
        TestServer fast = await StartServerAsync(o => o with { HeartbeatInterval = TimeSpan.FromSeconds(1) });

        using (SysprintProcess agent = Watch(db, spool, fast, "--enroll-token", secret, "--host", "hv-1"))
        {
            await Eventually.TrueAsync(async () => (await HostAsync("hv-1"))?.Heartbeat is not null, "the first heartbeat of hv-1", () => agent.Error);
            _dir.Write("spool/vm1/run1.strace", Injected);
            await Eventually.TrueAsync(async () => (await AlertsAsync()).Count >= 2, "hv-1's 2 alerts (read -> socket, socket -> close) on the server", () => agent.Error);
            await Eventually.TrueAsync(async () => (await HostAsync("hv-1"))!.Heartbeat!.Pending.GetValueOrDefault("server:" + fast.Address) == 0,
                "a heartbeat saying nothing is pending for the server", () => agent.Error);
            agent.Kill();
        }

        string credentialFile = db + ".credential";
        IReadOnlyList<FleetAlert> alerts = await AlertsAsync();
        FleetHost host = (await HostAsync("hv-1"))!;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(credentialFile));
        string credentialText = await File.ReadAllTextAsync(credentialFile, Ct);
        Assert.Contains("\"host\":\"hv-1\"", credentialText, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, credentialText, StringComparison.Ordinal);
        Assert.Equal(2, alerts.Count);
        Assert.All(alerts, a => Assert.Equal(("hv-1", "vm1"), (a.Host, a.Vm)));
        Assert.Equal("web", host.Group);
        Assert.NotNull(host.Heartbeat);
        Assert.Equal(HostState.Ok, host.StateAt(DateTimeOffset.UtcNow - TimeSpan.FromSeconds(1)));

        // Restarted without the secret: the credential file is enough; the same log read again
        // raises the same alerts, which the server already holds.
        DateTimeOffset before = (await HostAsync("hv-1"))!.LastSeen!.Value;
        _dir.Write("spool/vm1/run2.strace", Injected.Replace("200 ", "300 ", StringComparison.Ordinal));
        using (SysprintProcess again = Watch(db, spool, fast, "--host", "hv-1"))
        {
            await Eventually.TrueAsync(async () => (await AlertsAsync()).Count >= 4, "the 2 alerts of run2.strace", () => again.Error);
            await Eventually.TrueAsync(async () => (await HostAsync("hv-1"))!.LastSeen > before, "a heartbeat after the restart", () => again.Error);
            again.Kill();
        }

        Assert.Equal(4, (await AlertsAsync()).Count);
        Assert.Single(await Server.Store.ListHostsAsync(Ct));
    }

    [Fact]
    public async Task An_agent_started_with_a_bad_secret_stops_with_77_and_the_servers_reason()
    {
        string db = TrainedStore();
        Directory.CreateDirectory(_dir.PathOf("spool"));

        using SysprintProcess agent = Watch(db, _dir.PathOf("spool"), Server, "--enroll-token", FleetSecrets.New(FleetSecrets.EnrollPrefix), "--host", "hv-1");
        int exit = agent.WaitForExit();

        Assert.Equal(77, exit);
        Assert.Contains($"sysprint: error: enrollment refused: {Server.Address}api/agent/enroll answered 401: unknown enrollment secret", agent.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(db + ".credential"));
    }

    [Fact]
    public async Task A_revoked_host_keeps_checking_locally_while_the_server_refuses_it()
    {
        string db = TrainedStore();
        string spool = _dir.PathOf("spool");
        Directory.CreateDirectory(Path.Combine(spool, "vm1"));
        TestServer fast = await StartServerAsync(o => o with { HeartbeatInterval = TimeSpan.FromSeconds(1) });
        string secret = await fast.EnrollSecretAsync();

        using SysprintProcess agent = Watch(db, spool, fast, "--enroll-token", secret, "--host", "hv-1");
        await Eventually.TrueAsync(async () => (await HostAsync("hv-1"))?.Heartbeat is not null, "the first heartbeat", () => agent.Error);
        using (HttpResponseMessage revoke = await fast.SendAsync(HttpMethod.Post, "/api/hosts/hv-1/revoke", bearer: TestServer.AdminToken))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }

        _dir.Write("spool/vm1/run1.strace", Injected);
        await Eventually.TrueAsync(() => Task.FromResult(agent.Error.Contains("host 'hv-1' was revoked by an administrator", StringComparison.Ordinal)),
            "the agent's log saying it was revoked", () => agent.Error);
        await Eventually.TrueAsync(() => Task.FromResult(agent.Out.Contains("Unknown system-call transition", StringComparison.Ordinal) || agent.Out.Contains("socket", StringComparison.Ordinal)),
            "the alert raised locally (stdout)", () => agent.Out + agent.Error);

        Assert.False(agent.HasExited);
        Assert.Empty(await AlertsAsync());
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task The_heartbeat_carries_each_vms_last_check_and_the_console_shows_them_beside_its_alerts()
    {
        string db = TrainedStore();
        string spool = Path.Combine(_dir.Root, "spool");
        Directory.CreateDirectory(Path.Combine(spool, "vm1"));
        Directory.CreateDirectory(Path.Combine(spool, "vm2"));
        _dir.Write("spool/vm1/run1.strace", Normal);
        _dir.Write("spool/vm2/run1.strace", Injected);
        string secret = await Server.EnrollSecretAsync();
        TestServer fast = await StartServerAsync(o => o with { HeartbeatInterval = TimeSpan.FromSeconds(1) });
        using SysprintProcess agent = Watch(db, spool, fast, "--enroll-token", secret, "--host", "hv-1");

        System.Text.Json.JsonElement vms = default;
        await Eventually.TrueAsync(async () =>
        {
            using HttpResponseMessage response = await fast.SendAsync(HttpMethod.Get, "/api/hosts/hv-1", bearer: TestServer.AdminToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }

            vms = (await TestServer.JsonAsync(response)).GetProperty("vms");
            return vms.GetArrayLength() == 2 && vms.EnumerateArray().All(v => v.GetProperty("last_check").ValueKind == System.Text.Json.JsonValueKind.String)
                && vms.EnumerateArray().Sum(v => v.GetProperty("alerts").GetInt64()) == 2 && vms.EnumerateArray().Sum(v => v.GetProperty("logs").GetInt64()) == 2
                && vms.EnumerateArray().Sum(v => v.GetProperty("anomalous").GetInt64()) == 1;
        }, "hv-1's two VMs with their last checks (vm2's log anomalous once the agent's checkpoint counted its alerts) and vm2's alerts on the console",
            () => agent.Error);
        using HttpResponseMessage list = await fast.SendAsync(HttpMethod.Get, "/api/hosts", bearer: TestServer.AdminToken);
        System.Text.Json.JsonElement hosts = await TestServer.JsonAsync(list);

        Assert.Equal(["vm1 logs 1 anomalous 0 failed 0 alerts 0", "vm2 logs 1 anomalous 1 failed 0 alerts 2"],
            vms.EnumerateArray().Select(v => $"{v.GetProperty("vm").GetString()} logs {v.GetProperty("logs").GetInt64()} anomalous {v.GetProperty("anomalous").GetInt64()} "
                + $"failed {v.GetProperty("failed").GetInt64()} alerts {v.GetProperty("alerts").GetInt64()}").Order(StringComparer.Ordinal));
        Assert.Equal(2, hosts.GetProperty("hosts")[0].GetProperty("vms_checked").GetInt64());
    }

    private string TrainedStore()
    {
        string db = _dir.PathOf("agent.db");
        string log = _dir.Write("train/normal.strace", Normal);
        var (exit, _, error) = Support.Cli.Run("train", "--db", db, log);
        Assert.True(exit == 0, error);
        return db;
    }

    private static SysprintProcess Watch(string db, string spool, TestServer server, params string[] more) =>
        SysprintProcess.Start(["watch", "--db", db, "--server", server.Address.ToString(), .. more, spool]);

    private async Task<FleetHost?> HostAsync(string name) => (await Server.Store.ListHostsAsync(Ct)).SingleOrDefault(h => h.Name == name);

    private Task<IReadOnlyList<FleetAlert>> AlertsAsync() => Server.Store.ListAlertsAsync(new FleetAlertQuery { Limit = 1000 }, Ct);
}

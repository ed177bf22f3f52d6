using System.Diagnostics;
using System.Security.Cryptography;
using Sysprint.Fleet.Tests.Support;
using Sysprint.Integrity;
using Sysprint.Storage;
using Sysprint.Storage.Sqlite;

namespace Sysprint.Fleet.Tests.Agent;

/// <summary>
/// Fingerprints flow down to the real agent (<c>sysprint watch --server</c>, a child process) from a
/// real server over a real PostgreSQL: a central <c>train</c> reaches its local store sealed with
/// the fleet key; a profile whose seal fails is kept out, with an alert.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FingerprintsFlowDownTests : FleetFixture
{
    private const string Normal = HostnameLogs.Normal;

    private static string WithSocket => HostnameLogs.SocketAfterRead(200, exited: false);

    private readonly TempDir _dir = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_central_train_reaches_the_watching_agents_store_sealed_with_the_fleet_key_and_the_agent_reloads_it()
    {
        string key = _dir.PathOf("fleet.key");
        using ECDsa fleetKey = SealKeys.LoadOrCreatePrivate(key, out _);
        TestServer server = await StartServerAsync(o => o with { SealKey = fleetKey });
        Assert.Equal(0, Support.Cli.Run("train", "--db", Db.Url, _dir.Write("central/normal.strace", Normal)).Exit);
        string local = LocalStore(key);
        string spool = _dir.PathOf("spool");
        Directory.CreateDirectory(Path.Combine(spool, "vm1"));
        string secret = await server.EnrollSecretAsync("web");

        using SysprintProcess agent = Watch(local, spool, server, "--enroll-token", secret, "--host", "hv-1", "--trust", key + ".pub");
        await Eventually.TrueAsync(() => Task.FromResult(Setting(local, "fleet.profiles_etag") is not null), "the fleet's profiles in the agent's store",
            () => agent.Error);
        Assert.Equal(0, Support.Cli.Run("train", "--db", Db.Url, _dir.Write("central/socket.strace", WithSocket)).Exit);
        var sent = Stopwatch.StartNew();
        await Eventually.TrueAsync(() => Task.FromResult(LocalKnows(local, [0, 41])), "read -> socket, learnt centrally, in the agent's store", () => agent.Error);
        sent.Stop();
        await Eventually.TrueAsync(() => Task.FromResult(agent.Error.Contains("its fingerprint is reloaded", StringComparison.Ordinal)),
            "the agent reloading the profile it received", () => agent.Error);
        TestContext.Current.SendDiagnosticMessage($"the central change was in the agent's store {sent.ElapsedMilliseconds} ms after train returned");

        Assert.False(agent.HasExited);
        Assert.Contains("profile 'default' received from the fleet", agent.Error, StringComparison.Ordinal);
        Assert.Contains("seal verified", agent.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_agent_whose_server_was_away_keeps_checking_and_catches_up_when_it_returns()
    {
        string key = _dir.PathOf("fleet.key");
        using ECDsa fleetKey = SealKeys.LoadOrCreatePrivate(key, out _);
        TestServer server = await StartServerAsync(o => o with { SealKey = fleetKey });
        var address = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, server.Address.Port);
        Assert.Equal(0, Support.Cli.Run("train", "--db", Db.Url, _dir.Write("central/normal.strace", Normal)).Exit);
        string local = LocalStore(key);
        string spool = _dir.PathOf("spool");
        Directory.CreateDirectory(Path.Combine(spool, "vm1"));
        string secret = await server.EnrollSecretAsync("web");

        using SysprintProcess agent = Watch(local, spool, server, "--enroll-token", secret, "--host", "hv-1", "--trust", key + ".pub");
        await Eventually.TrueAsync(() => Task.FromResult(Setting(local, "fleet.profiles_etag") is not null), "the fleet's profiles in the agent's store",
            () => agent.Error);
        await server.DisposeAsync();
        Assert.Equal(0, Support.Cli.Run("train", "--db", Db.Url, _dir.Write("central/socket.strace", WithSocket)).Exit);
        _dir.Write("spool/vm1/run1.strace", WithSocket);
        await Eventually.TrueAsync(() => Task.FromResult(agent.Error.Contains("checking with the local copy", StringComparison.Ordinal)),
            "the agent noticing the server is away", () => agent.Error);
        await Eventually.TrueAsync(() => Task.FromResult(agent.Out.Contains("socket", StringComparison.Ordinal)),
            "the alert raised locally against the local copy while the server is away", () => agent.Out + agent.Error);
        Assert.False(LocalKnows(local, [0, 41]));
        await StartServerAsync(o => o with { SealKey = fleetKey, Listen = address });

        await Eventually.TrueAsync(() => Task.FromResult(LocalKnows(local, [0, 41])), "the change made while away, in the agent's store", () => agent.Error);
        Assert.False(agent.HasExited);
    }

    [Fact]
    public async Task A_new_hosts_agent_starts_with_no_store_waits_for_the_fleets_profile_and_then_checks_the_log_that_waited()
    {
        string key = _dir.PathOf("fleet.key");
        using ECDsa fleetKey = SealKeys.LoadOrCreatePrivate(key, out _);
        TestServer server = await StartServerAsync(o => o with { SealKey = fleetKey });
        string local = _dir.PathOf("agent.db");
        string spool = _dir.PathOf("spool");
        Directory.CreateDirectory(Path.Combine(spool, "vm1"));
        string secret = await server.EnrollSecretAsync("web");

        // No store, and nothing learnt centrally yet: the agent starts and waits.
        using SysprintProcess agent = Watch(local, spool, server, "--enroll-token", secret, "--host", "hv-1", "--trust", key + ".pub");
        await Eventually.TrueAsync(() => Task.FromResult(agent.Error.Contains("waiting for the fleet's profiles", StringComparison.Ordinal) || agent.HasExited),
            "the agent waiting for the fleet's profiles", () => agent.Error);
        _dir.Write("spool/vm1/run1.strace", WithSocket);
        Assert.Equal(0, Support.Cli.Run("train", "--db", Db.Url, _dir.Write("central/normal.strace", Normal)).Exit);
        await Eventually.TrueAsync(async () => (await Server.Store.ListAlertsAsync(new FleetAlertQuery(), Ct)).Any(a => a.Host == "hv-1" && a.Vm == "vm1"),
            "the waiting log's alert on the server, once the profile came", () => agent.Out + agent.Error);

        Assert.False(agent.HasExited, agent.Error);
        Assert.Contains("the fleet's profiles arrived: checking starts", agent.Error, StringComparison.Ordinal);
        Assert.Contains("profile 'default' received from the fleet", agent.Error, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(local));
    }

    [Fact]
    public async Task A_profile_whose_seal_fails_is_kept_out_of_the_agents_store_and_raises_an_alert()
    {
        string key = _dir.PathOf("fleet.key");
        string other = _dir.PathOf("other.key");
        Assert.Equal(0, Support.Cli.Run("train", "--db", Db.Url, _dir.Write("central/normal.strace", Normal), _dir.Write("central/socket.strace", WithSocket)).Exit);
        Assert.Equal(0, Support.Cli.Run("seal", "--db", Db.Url, "--key", other).Exit);
        string local = LocalStore(key);
        string spool = _dir.PathOf("spool");
        Directory.CreateDirectory(Path.Combine(spool, "vm1"));
        string secret = await Server.EnrollSecretAsync("web");

        using SysprintProcess agent = Watch(local, spool, Server, "--enroll-token", secret, "--host", "hv-1", "--trust", key + ".pub");
        await Eventually.TrueAsync(async () => (await Server.Store.ListAlertsAsync(new FleetAlertQuery(), Ct)).Any(a => a.Rule == "Fingerprint from the fleet refused"),
            "the agent's alert refusing the fleet's profile, on the server", () => agent.Error);

        Assert.False(LocalKnows(local, [0, 41]));
        Assert.False(agent.HasExited);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>The agent's store before it joins: the normal log learnt and sealed with <paramref name="key"/>.</summary>
    private string LocalStore(string key)
    {
        string db = _dir.PathOf("agent.db");
        Assert.Equal(0, Support.Cli.Run("train", "--db", db, _dir.Write("local/normal.strace", Normal)).Exit);
        Assert.Equal(0, Support.Cli.Run("seal", "--db", db, "--key", key).Exit);
        return db;
    }

    private static string? Setting(string db, string key)
    {
        using IFingerprintStore store = new SqliteBackend().Open(StoreAddress.Parse(db), new StoreOpenOptions());
        return store.GetSetting(key);
    }

    private static bool LocalKnows(string db, int[] gram)
    {
        using IFingerprintStore store = new SqliteBackend().Open(StoreAddress.Parse(db), new StoreOpenOptions());
        ProfileInfo? profile = store.FindProfile(ProfileInfo.DefaultName);
        return profile is not null && store.LoadFingerprint(profile).Contains(gram);
    }

    private static SysprintProcess Watch(string db, string spool, TestServer server, params string[] more) =>
        SysprintProcess.Start(["watch", "--db", db, "--server", server.Address.ToString(), .. more, spool]);
}

using System.Security.Cryptography;
using System.Text.Json;
using Sysprint.Fleet.Tests.Support;
using Sysprint.Integrity;
using Sysprint.Storage;
using Sysprint.Storage.Sqlite;

namespace Sysprint.Fleet.Tests.Console;

/// <summary>
/// "This is normal" end to end with the real agent (<c>sysprint watch --server</c>, a child
/// process): its alert reaches the console, the console learns the pattern into the central
/// profile, the profile flows down to the agent sealed with the fleet key, and the agent no longer
/// alerts on that pattern while it still alerts on another.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ThisIsNormalAgentTests : FleetFixture
{
    /// <summary>close → socket, unknown to the fingerprint learnt from <see cref="ConsoleFleet.NormalLog"/>.</summary>
    private const string CloseSocket =
        """
        300   openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3
        300   read(3, "vm\n", 131072) = 3
        300   close(3) = 0
        300   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3
        300   +++ exited with 0 +++

        """;

    /// <summary>The same pattern again (pid 400), then another one (read → connect, pid 401) after it.</summary>
    private const string BothPatterns =
        """
        400   openat(AT_FDCWD, "/etc/hosts", O_RDONLY) = 3
        400   read(3, "127.0.0.1 localhost\n", 131072) = 20
        400   close(3) = 0
        400   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3
        400   +++ exited with 0 +++
        401   openat(AT_FDCWD, "/etc/hosts", O_RDONLY) = 3
        401   read(3, "127.0.0.1 localhost\n", 131072) = 20
        401   connect(3, {sa_family=AF_INET, sin_port=htons(4444), sin_addr=inet_addr("127.0.0.1")}, 16) = 0
        401   +++ exited with 0 +++

        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task After_this_is_normal_the_agent_receives_the_profile_and_no_longer_alerts_on_that_pattern()
    {
        using var dir = new TempDir();
        string key = dir.PathOf("fleet.key");
        using ECDsa fleetKey = SealKeys.LoadOrCreatePrivate(key, out _);
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this, o => o with { SealKey = fleetKey });
        string local = dir.PathOf("agent.db");
        Assert.Equal(0, Support.Cli.Run("train", "--db", local, dir.Write("local/normal.strace", ConsoleFleet.NormalLog)).Exit);
        Assert.Equal(0, Support.Cli.Run("seal", "--db", local, "--key", key).Exit);
        string spool = dir.PathOf("spool");
        Directory.CreateDirectory(Path.Combine(spool, "vm1"));
        string secret = await fleet.Server.EnrollSecretAsync();
        using SysprintProcess agent = SysprintProcess.Start("watch", "--db", local, "--server", fleet.Server.Address.ToString(), "--enroll-token", secret,
            "--host", "hv-1", "--trust", key + ".pub", spool);
        await Eventually.TrueAsync(() => Task.FromResult(Setting(local, "fleet.profiles_etag") is not null), "the fleet's profiles in the agent's store",
            () => agent.Error);

        dir.Write("spool/vm1/run1.strace", CloseSocket);
        JsonElement first = default;
        await Eventually.TrueAsync(async () =>
        {
            JsonElement page = await GetAsync(fleet, "/api/alerts?host=hv-1");
            if (page.GetProperty("alerts").GetArrayLength() == 0)
            {
                return false;
            }

            first = page.GetProperty("alerts")[0];
            return true;
        }, "the agent's alert on the console", () => agent.Out + agent.Error);
        using HttpResponseMessage normal = await fleet.Server.SendAsync(HttpMethod.Post, $"/api/alerts/{first.GetProperty("seq").GetInt64()}/normal",
            """{"confirm":true,"note":"socket after close is this release's health check"}""", TestServer.AdminToken);
        Assert.Equal(System.Net.HttpStatusCode.OK, normal.StatusCode);
        await Eventually.TrueAsync(() => Task.FromResult(LocalKnows(local, [3, 41])), "close -> socket, learnt from the console, in the agent's store",
            () => agent.Error);
        // The reload of that very fingerprint, told by its size: the agent also reloads the profile
        // it received at start-up, and on a loaded machine that reload can come this late.
        string reloaded = $"its fingerprint is reloaded ({LocalTransitions(local)} transitions";
        await Eventually.TrueAsync(() => Task.FromResult(agent.Error.Contains(reloaded, StringComparison.Ordinal)),
            "the agent reloading the profile it received", () => agent.Error);
        dir.Write("spool/vm1/run2.strace", BothPatterns);
        await Eventually.TrueAsync(() => Task.FromResult(agent.Out.Contains("read -> connect", StringComparison.Ordinal)),
            "the agent alerting on read -> connect in run2", () => agent.Out + agent.Error);
        await Eventually.TrueAsync(async () => (await GetAsync(fleet, "/api/alerts?host=hv-1&status=new")).GetProperty("alerts").GetArrayLength() == 1,
            "run2's read -> connect alert on the console", () => agent.Out + agent.Error);

        Assert.Equal("close socket", first.GetProperty("alert").GetProperty("output_fields").GetProperty("mismatch.window").GetString());
        Assert.True(Count(agent.Out, "close -> socket") == 1, agent.Out);
        JsonElement all = await GetAsync(fleet, "/api/alerts?host=hv-1");
        Assert.Equal(["read connect", "close socket"],
            all.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("alert").GetProperty("output_fields").GetProperty("mismatch.window").GetString()));
        Assert.False(agent.HasExited);
    }

    private static int Count(string text, string what)
    {
        int n = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }

    private static async Task<JsonElement> GetAsync(ConsoleFleet fleet, string path)
    {
        using HttpResponseMessage response = await fleet.Server.SendAsync(HttpMethod.Get, path, bearer: TestServer.AdminToken);
        return await TestServer.JsonAsync(response);
    }

    private static string? Setting(string db, string key)
    {
        using IFingerprintStore store = new SqliteBackend().Open(StoreAddress.Parse(db), new StoreOpenOptions());
        return store.GetSetting(key);
    }

    private static int LocalTransitions(string db)
    {
        using IFingerprintStore store = new SqliteBackend().Open(StoreAddress.Parse(db), new StoreOpenOptions());
        return store.LoadFingerprint(store.FindProfile(ProfileInfo.DefaultName)!).TransitionCount;
    }

    private static bool LocalKnows(string db, int[] gram)
    {
        using IFingerprintStore store = new SqliteBackend().Open(StoreAddress.Parse(db), new StoreOpenOptions());
        ProfileInfo? profile = store.FindProfile(ProfileInfo.DefaultName);
        return profile is not null && store.LoadFingerprint(profile).Contains(gram);
    }
}

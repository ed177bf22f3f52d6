using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Sysprint.Fleet.Tests.Support;
using Sysprint.Storage;
using Sysprint.Storage.Sqlite;
using Process = Sysprint.TestSupport.SysprintProcess;

namespace Sysprint.Fleet.Tests.Agent;

/// <summary>
/// Profiles per group end to end, every part real: PostgreSQL, a <c>sysprint serve</c> process,
/// two agents (<c>sysprint watch --server ...</c>) in groups web and db, and the administrator's
/// <c>sysprint profile --groups</c>. Each agent receives its group's profiles only; a profile moved
/// to the other group leaves one agent's store (and its watcher stops checking against it) and
/// reaches the other's; a profile deleted centrally leaves the agents that had it; a profile the
/// agent learnt itself is never touched.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ProfilesPerGroupAgentTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly List<Process> _processes = [];
    private TestDatabase _db = null!;

    public async ValueTask InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _dir.Write("admin.token", "groups-test-admin-token-0123456789\n");
        File.SetUnixFileMode(_dir.PathOf("admin.token"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _dir.Write("agent.json", """{"idle_timeout_s": 2, "silent_vm_after_s": 0}""");
    }

    [Fact]
    public async Task Each_agent_keeps_its_groups_profiles_a_moved_or_deleted_profile_leaves_it_and_its_own_profiles_stay()
    {
        foreach (string profile in new[] { "default", "web", "db" })
        {
            Assert.Equal(0, Support.Cli.Run("train", "--db", _db.Url, "--profile", profile, _dir.Write($"central/{profile}.strace", HostnameLogs.Normal)).Exit);
        }

        Assert.Equal(0, Support.Cli.Run("profile", "--db", _db.Url, "--profile", "web", "--groups", "web").Exit);
        Assert.Equal(0, Support.Cli.Run("profile", "--db", _db.Url, "--profile", "db", "--groups", "db").Exit);
        int port = await StartServeAsync();
        Process hv1 = StartAgent("hv-1", port, Secret("web"), "web");
        Process db1 = StartAgent("db-1", port, Secret("db"), "default");
        // Each store held its profiles before: what shows the fleet's arrived is the agent's record of each.
        await Eventually.TrueAsync(() => Task.FromResult(Setting("hv-1", "fleet.profile:web") is not null && Setting("hv-1", "fleet.profile:default") is not null),
            "hv-1 receiving its group's profiles", () => hv1.Error);
        await Eventually.TrueAsync(() => Task.FromResult(Setting("db-1", "fleet.profile:db") is not null && Setting("db-1", "fleet.profile:default") is not null),
            "db-1 receiving its group's profiles", () => db1.Error);
        Assert.Equal(("default,local,web", "db,default,local"), (Profiles("hv-1"), Profiles("db-1")));
        Assert.Null(Setting("hv-1", "fleet.profile:db"));
        Assert.Null(Setting("db-1", "fleet.profile:web"));

        var moved = Support.Cli.Run("profile", "--db", _db.Url, "--profile", "web", "--groups", "db");
        var sent = Stopwatch.StartNew();
        await Eventually.TrueAsync(() => Task.FromResult(Profiles("hv-1") == "default,local" && Profiles("db-1") == "db,default,local,web"),
            "web moved from hv-1's store to db-1's", () => hv1.Error + db1.Error);
        sent.Stop();
        TestContext.Current.SendDiagnosticMessage($"the new assignment was in both agents' stores {sent.ElapsedMilliseconds} ms after profile --groups returned");
        await hv1.WaitForErrorAsync("profile 'web' was withdrawn by the fleet: the agent stops checking against it", TimeSpan.FromSeconds(60));
        _dir.Write("hv-1/vm1/run1.strace", HostnameLogs.Normal);
        await hv1.WaitForErrorAsync("profile 'web' was withdrawn by the fleet (this host's group no longer receives it): the log is not checked", TimeSpan.FromSeconds(60));

        var deleted = Support.Cli.Run("profile", "--db", _db.Url, "--delete", "db");
        await Eventually.TrueAsync(() => Task.FromResult(Profiles("db-1") == "default,local,web"), "db, deleted centrally, gone from db-1's store", () => db1.Error);

        Assert.Equal(0, moved.Exit);
        Assert.Equal(0, deleted.Exit);
        Assert.Equal("withdrawn", Setting("hv-1", "fleet.profile:web"));
        Assert.Null(Setting("hv-1", "fleet.profile:local"));
        // Logged just after the store changed: waited for, not looked for at once.
        await hv1.WaitForErrorAsync("profile 'web' withdrawn by the fleet (no longer sent to this host's group)", TimeSpan.FromSeconds(60));
        await db1.WaitForErrorAsync("profile 'db' withdrawn by the fleet", TimeSpan.FromSeconds(60));
        Assert.All(_processes, p => Assert.False(p.HasExited, p.Error));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (Process process in _processes)
        {
            process.Dispose();
        }

        if (_db is not null)
        {
            await _db.DisposeAsync();
        }

        _dir.Dispose();
    }

    private string Secret(string group)
    {
        var (exit, output, error) = Support.Cli.Run("enroll-token", "--db", _db.Url, "--group", group);
        Assert.True(exit == 0, error);
        return output.TrimEnd().Split('\n')[^1];
    }

    private async Task<int> StartServeAsync()
    {
        int port = FreePort();
        Process process = Track(Process.Start(["serve", "--db", _db.Url, "--listen", $"127.0.0.1:{port}", "--admin-token-file", _dir.PathOf("admin.token")]));
        await Eventually.TrueAsync(() => Task.FromResult(process.Out.Contains("listening on ", StringComparison.Ordinal) || process.HasExited),
            $"serve listening on port {port}", () => process.Error, seconds: 120);
        Assert.False(process.HasExited, $"serve on port {port} ended at start:\n{process.Error}");
        return port;
    }

    /// <summary>An agent whose store holds the profile it checks with and one it learnt itself ('local'), which the fleet never sends.</summary>
    private Process StartAgent(string host, int port, string secret, string profile)
    {
        string store = _dir.PathOf(host + ".db");
        foreach (string name in new[] { profile, "local" })
        {
            var (exit, _, error) = Support.Cli.Run("train", "--db", store, "--profile", name, _dir.Write($"{host}-{name}.strace", HostnameLogs.Normal));
            Assert.True(exit == 0, error);
        }

        Directory.CreateDirectory(_dir.PathOf(host + "/vm1"));
        return Track(Process.Start(["watch", "--config", _dir.PathOf("agent.json"), "--db", store, "--profile", profile, "--server", $"http://127.0.0.1:{port}/",
            "--enroll-token", secret, "--host", host, "-q", _dir.PathOf(host)]));
    }

    /// <summary>The profiles in the agent's store, by name, separated by commas.</summary>
    private string Profiles(string host)
    {
        using IFingerprintStore store = new SqliteBackend().Open(StoreAddress.Parse(_dir.PathOf(host + ".db")), new StoreOpenOptions());
        return string.Join(',', store.ListProfiles().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    private string? Setting(string host, string key)
    {
        using IFingerprintStore store = new SqliteBackend().Open(StoreAddress.Parse(_dir.PathOf(host + ".db")), new StoreOpenOptions());
        return store.GetSetting(key);
    }

    private Process Track(Process process)
    {
        _processes.Add(process);
        return process;
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}

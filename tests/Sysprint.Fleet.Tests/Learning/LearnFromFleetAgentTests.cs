using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Sysprint.App.Fleet;
using Sysprint.Fleet.Tests.Support;
using Sysprint.Mapping;
using Sysprint.Parsing;
using Sysprint.Storage;
using Sysprint.Storage.Sqlite;
using Process = Sysprint.TestSupport.SysprintProcess;

namespace Sysprint.Fleet.Tests.Learning;

/// <summary>
/// Learning across the fleet end to end, every part real: PostgreSQL, two <c>sysprint serve</c>
/// processes, three agents (<c>sysprint watch --server ... --enroll-token ...</c>) in two groups
/// with VMs writing strace logs, and the administrator's <c>sysprint profile --learn-from-fleet</c>.
/// The window reaches the group's agents only; each finished log is uploaded and staged once (the
/// same log from two hosts counts once); the close learns them into the central profile, which
/// flows down to every agent; an upload after the close, or from another group, is refused.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LearnFromFleetAgentTests : IAsyncLifetime
{
    private const string Normal = HostnameLogs.Normal;

    /// <summary>The new release: read -> socket, socket -> close.</summary>
    private static string WithSocket => HostnameLogs.SocketAfterRead(200, exited: true);

    /// <summary>close -> getpid.</summary>
    private static string WithGetpid => HostnameLogs.GetpidAfterClose(300);

    /// <summary>read -> mmap: what the other group's host (and hv-1 after the window) does; never learnt.</summary>
    private const string WithMmap =
        """
        400   openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3
        400   read(3, "vm\n", 131072) = 3
        400   mmap(NULL, 8192, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000
        400   close(3) = 0
        400   +++ exited with 0 +++

        """;

    private readonly TempDir _dir = new();
    private readonly List<Process> _processes = [];
    private TestDatabase _db = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Timeless(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "TIME");

    public async ValueTask InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _dir.Write("admin.token", "learn-test-admin-token-0123456789\n");
        File.SetUnixFileMode(_dir.PathOf("admin.token"), UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // Logs end when idle 2 s (a VM's program wrote its whole log); no silence alert.
        _dir.Write("agent.json", """{"idle_timeout_s": 2, "silent_vm_after_s": 0}""");
    }

    [Fact]
    public async Task A_window_reaches_its_groups_agents_their_finished_logs_are_learnt_once_and_the_change_flows_down_to_every_agent()
    {
        Assert.Equal(0, Support.Cli.Run("train", "--db", _db.Url, _dir.Write("central/normal.strace", Normal)).Exit);
        int portA = await StartServeAsync();
        int portB = await StartServeAsync();
        string web = Secret("web");
        string db = Secret("db");
        Process hv1 = StartAgent("hv-1", portA, web);
        Process hv2 = StartAgent("hv-2", portB, web);
        Process db3 = StartAgent("db-3", portA, db);
        foreach ((string host, Process agent) in new[] { ("hv-1", hv1), ("hv-2", hv2), ("db-3", db3) })
        {
            await Eventually.TrueAsync(() => Task.FromResult(Setting(host, "fleet.profiles_etag") is not null), $"{host} receiving the fleet's profiles", () => agent.Error);
        }

        var opened = Support.Cli.Run("profile", "--db", _db.Url, "--learn-from-fleet", "--group", "web", "--for", "30m");

        Assert.True(opened.Exit == 0, opened.Error);
        await hv1.WaitForErrorAsync("learning window #1 open for profile 'default'", TimeSpan.FromSeconds(60));
        await hv2.WaitForErrorAsync("learning window #1 open for profile 'default'", TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(() => Task.FromResult(Setting("db-3", "fleet.profiles_etag") == Setting("hv-1", "fleet.profiles_etag")),
            "db-3 receiving the revision that opened the window", () => db3.Error);
        Assert.Equal("[]", Setting("db-3", "fleet.learning"));

        _dir.Write("hv-1/vm1/run1.strace", WithSocket);
        _dir.Write("db-3/vm3/run3.strace", WithMmap);
        await Eventually.TrueAsync(() => Task.FromResult(Uploads(hv1) == 1), "hv-1's log uploaded", () => hv1.Error);
        _dir.Write("hv-2/vm2/same-as-hv1.strace", WithSocket);
        _dir.Write("hv-2/vm2/run2.strace", WithGetpid);
        await Eventually.TrueAsync(() => Task.FromResult(Uploads(hv2) == 2), "hv-2's two logs uploaded", () => hv2.Error);
        var status = Support.Cli.Run("profile", "--db", _db.Url, "--learn-from-fleet", "--status");
        Assert.Equal("#1  group 'web'  profile 'default'  open until TIME: 2 logs from 2 hosts so far\n", Timeless(status.Out));
        Assert.EndsWith(": the window held it already", Assert.Single(Lines(hv2.Error, "same-as-hv1.strace uploaded to learning window #1")).TrimEnd(), StringComparison.Ordinal);
        Assert.Single(Lines(hv2.Error, "held it already"));
        using (HttpResponseMessage other = await UploadAsync(portA, "db-3", 1, _dir.PathOf("db-3/vm3/run3.strace")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        }

        var closed = Support.Cli.Run("profile", "--db", _db.Url, "--learn-from-fleet", "--group", "web", "--close");

        Assert.True(closed.Exit == 0, closed.Error);
        Assert.Equal("#1  group 'web'  profile 'default'  learnt TIME: 2 logs from 2 hosts; 2 learnt, +3 transitions\n", Timeless(closed.Out));
        foreach ((string host, Process agent) in new[] { ("hv-1", hv1), ("hv-2", hv2), ("db-3", db3) })
        {
            await Eventually.TrueAsync(() => Task.FromResult(LocalKnows(host, "read", "socket") && LocalKnows(host, "close", "getpid")),
                $"the learnt profile in {host}'s store", () => agent.Error);
            Assert.False(LocalKnows(host, "read", "mmap"));
        }

        await hv1.WaitForErrorAsync("learning window #1 (profile 'default') closed", TimeSpan.FromSeconds(60));
        string late = _dir.Write("hv-1/vm1/run4.strace", WithMmap.Replace("400 ", "401 ", StringComparison.Ordinal));
        using (HttpResponseMessage refused = await UploadAsync(portB, "hv-1", 1, late))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.StartsWith("learning window #1 closed at ", (await TestServer.JsonAsync(refused)).GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(1, Uploads(hv1));
        Assert.Null(Setting("db-3", "fleet.learning.pending"));
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

    private static int Uploads(Process agent) => Lines(agent.Error, "uploaded to learning window #1").Count;

    private static List<string> Lines(string text, string part) => [.. text.Split('\n').Where(l => l.Contains(part, StringComparison.Ordinal))];

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

    private Process StartAgent(string host, int port, string secret)
    {
        var (exit, _, error) = Support.Cli.Run("train", "--db", _dir.PathOf(host + ".db"), _dir.Write(host + "-normal.strace", Normal));
        Assert.True(exit == 0, error);
        Directory.CreateDirectory(_dir.PathOf(host));
        return Track(Process.Start(["watch", "--config", _dir.PathOf("agent.json"), "--db", _dir.PathOf(host + ".db"), "--server", $"http://127.0.0.1:{port}/",
            "--enroll-token", secret, "--host", host, "-q", _dir.PathOf(host)]));
    }

    /// <summary>An upload made by hand with the host's own credential (as its agent keeps it), to a server.</summary>
    private async Task<HttpResponseMessage> UploadAsync(int port, string host, long window, string log)
    {
        using JsonDocument credential = JsonDocument.Parse(File.ReadAllText(_dir.PathOf(host + ".db.credential")));
        LogLesson lesson = LogLesson.FromLog(log, "vm", SyscallTable.Builtin("x86_64"), new LogReadOptions(), 2);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        using var content = new StringContent(Sysprint.Fleet.FleetJson.ToText(json => lesson.Write(json, window, "default")), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/agent/learn") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential.RootElement.GetProperty("credential").GetString());
        return await http.SendAsync(request, Ct);
    }

    private string? Setting(string host, string key)
    {
        using IFingerprintStore store = new SqliteBackend().Open(StoreAddress.Parse(_dir.PathOf(host + ".db")), new StoreOpenOptions());
        return store.GetSetting(key);
    }

    private bool LocalKnows(string host, string previous, string next)
    {
        using IFingerprintStore store = new SqliteBackend().Open(StoreAddress.Parse(_dir.PathOf(host + ".db")), new StoreOpenOptions());
        SyscallTable table = store.LoadMapping()!;
        Assert.True(table.TryGetNumber(previous, out int a));
        Assert.True(table.TryGetNumber(next, out int b));
        return store.LoadFingerprint(store.FindProfile(ProfileInfo.DefaultName)!).Contains([a, b]);
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

using System.Net;
using System.Text.Json;
using System.Net.Sockets;
using Npgsql;
using Sysprint.Fleet.Tests.Support;
using Process = Sysprint.TestSupport.SysprintProcess;

namespace Sysprint.Fleet.Tests.Faults;

/// <summary>
/// Issue 13's faults, each with real processes: PostgreSQL 15 of the test's own (durable, as in
/// production), <c>sysprint serve</c> instances on fixed loopback ports, real agents
/// (<c>sysprint watch --server</c>) and VMs writing a log every 100 ms, each log worth two alerts.
/// While the logs keep coming, one part fails and comes back; at the end the central history must
/// hold every alert of every log exactly once: none lost, none duplicated.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FaultTests : IAsyncLifetime
{
    private const string Normal = HostnameLogs.Normal;

    private const int AlertsPerLog = 2;

    /// <summary>How long the agent stays away in the offline case (the figure).</summary>
    private static readonly TimeSpan s_offline = TimeSpan.FromSeconds(60);

    private readonly TempDir _dir = new();
    private readonly List<Process> _processes = [];
    private PrivatePostgres _pg = null!;
    private string _secret = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _pg = await PrivatePostgres.StartAsync();
        _dir.Write("admin.token", "fault-test-admin-token-0123456789\n");
        File.SetUnixFileMode(_dir.PathOf("admin.token"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var (exit, output, error) = Support.Cli.Run("enroll-token", "--db", _pg.Url, "--expires", "2h");
        Assert.True(exit == 0, error);
        _secret = output.TrimEnd().Split('\n')[^1];
    }

    [Fact]
    public async Task PostgreSQL_stopped_with_m_immediate_and_restarted_mid_run_loses_and_repeats_no_alert()
    {
        Server server = await StartServerAsync();
        Agent agent = StartAgent("hv-1", server);
        await using var vms = new VmWriter(_dir.PathOf("hv-1"), 3);

        await CentralAtLeastAsync(10, "the first alerts stored before the crash", agent, server);
        await _pg.CrashAsync();
        await vms.WriteMoreAsync(30);
        await _pg.RestartAsync();
        await vms.WriteMoreAsync(30);

        await AssertEveryAlertOnceAsync(vms, agent, server);
        Assert.False(server.Process.HasExited, "serve ended when PostgreSQL went away:\n" + server.Process.Error);
    }

    [Fact]
    public async Task One_of_two_serve_instances_killed_with_SIGKILL_loses_and_repeats_no_alert()
    {
        Server first = await StartServerAsync();
        Server second = await StartServerAsync();
        Agent one = StartAgent("hv-1", first);
        Agent two = StartAgent("hv-2", second);
        await using var vms1 = new VmWriter(_dir.PathOf("hv-1"), 2);
        await using var vms2 = new VmWriter(_dir.PathOf("hv-2"), 2);

        await CentralAtLeastAsync(10, "the first alerts stored before the kill", one, first);
        first.Process.Signal(Process.SigKill);
        await first.Process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        await vms1.WriteMoreAsync(30);
        first = await StartServerAsync(first.Port);
        await vms1.WriteMoreAsync(30);

        await AssertEveryAlertOnceAsync(vms1, one, first, vms2, two, second);
    }

    [Fact]
    public async Task An_agent_offline_for_60_s_while_alerts_accrue_catches_up_and_repeats_nothing()
    {
        Server server = await StartServerAsync();
        Agent agent = StartAgent("hv-1", server);
        await using var vms = new VmWriter(_dir.PathOf("hv-1"), 3);

        await CentralAtLeastAsync(10, "the first alerts stored before the agent goes away", agent, server);
        agent.Process.Signal(Process.SigKill);
        await agent.Process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        // The VMs keep writing while the agent is away: the scenario's length, not a wait for an event.
        await Task.Delay(s_offline, Ct);
        Assert.True(vms.Written > 100, $"only {vms.Written} logs were written while the agent was away");
        agent = StartAgent("hv-1", server);
        await vms.WriteMoreAsync(20);

        await AssertEveryAlertOnceAsync(vms, agent, server);
    }

    [Fact]
    public async Task The_servers_port_closed_and_reopened_loses_and_repeats_no_alert()
    {
        Server server = await StartServerAsync();
        Agent agent = StartAgent("hv-1", server);
        await using var vms = new VmWriter(_dir.PathOf("hv-1"), 3);

        await CentralAtLeastAsync(10, "the first alerts stored before the port closes", agent, server);
        server.Process.Signal(Process.SigTerm);
        Assert.Equal(0, await server.Process.WaitForExitAsync(TimeSpan.FromSeconds(90)));
        Assert.False(await AcceptsAsync(server.Port), "the port still accepts connections after serve stopped");
        await vms.WriteMoreAsync(30);
        server = await StartServerAsync(server.Port);
        await vms.WriteMoreAsync(30);

        await AssertEveryAlertOnceAsync(vms, agent, server);
    }

    /// <summary>
    /// Item 6 through serve: <c>run</c> against an enrolled host's local store sends its alerts with
    /// the host's credential (named as the host enrolled, source run, the binary's SHA-256). While the
    /// server is away they wait in the store's outbox, and the host's running agent, never restarted,
    /// delivers them once the server is back: each stored once.
    /// </summary>
    [Fact]
    public async Task A_run_while_the_server_is_away_leaves_its_alerts_to_the_hosts_running_agent_which_delivers_them_once()
    {
        Server server = await StartServerAsync();
        Agent agent = StartAgent("hv-1", server);
        string db = _dir.PathOf("hv-1.db");
        await Eventually.TrueAsync(() => Task.FromResult(File.Exists(db + ".credential")), "hv-1 enrolled (its credential beside its store)",
            () => Diagnostics(agent, server), seconds: 120);
        // A program the profile (hostname's calls) has never seen: every run of it is anomalous.
        string program = _dir.PathOf("bin/true");
        Directory.CreateDirectory(Path.GetDirectoryName(program)!);
        File.Copy("/bin/true", program);

        // Served: stored centrally before run exits, under the enrolled name (no SYSPRINT_HOSTNAME).
        var (exit1, out1, error1) = Process.Run(["run", "--db", db, "--profile", "default", "--", program]);
        List<JsonElement> served = RunAlerts();
        var (binariesExit, binaries, binariesError) = Support.Cli.Run("hosts", "--db", _pg.Url, "--binaries", "true", "--json");

        // Away: run says its alerts wait; the agent, idle, finds them in the store when serve is back.
        server.Process.Signal(Process.SigTerm);
        Assert.Equal(0, await server.Process.WaitForExitAsync(TimeSpan.FromSeconds(90)));
        var (exit2, out2, error2) = Process.Run(["run", "--db", db, "--profile", "default", "--", program]);
        int raised2 = Raised(out2);
        server = await StartServerAsync(server.Port);
        await Eventually.TrueAsync(() => Task.FromResult(RunAlerts().Count >= served.Count + raised2), $"{raised2} alerts of the second run delivered by the agent",
            () => Diagnostics(agent, server), seconds: 240);
        List<JsonElement> all = RunAlerts();

        Assert.True(exit1 == 1, out1 + error1);
        Assert.DoesNotContain("pending", error1, StringComparison.Ordinal);
        Assert.Equal(Raised(out1), served.Count);
        Assert.True(served.Count > 0, out1);
        string sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(program)));
        Assert.All(served, a => Assert.Equal(("hv-1", "run", sha), (a.GetProperty("host").GetString(), a.GetProperty("source").GetString(), a.GetProperty("binary_sha256").GetString())));
        Assert.True(binariesExit == 0, binariesError);
        JsonElement majority = JsonDocument.Parse(binaries).RootElement.GetProperty("majority");
        Assert.Equal((sha, 1), (majority.GetProperty("sha256").GetString(), majority.GetProperty("hosts").GetInt32()));
        Assert.True(exit2 == 1, out2 + error2);
        Assert.Contains("still pending", error2, StringComparison.Ordinal);
        Assert.True(raised2 > 0, out2);
        Assert.Equal(served.Count + raised2, all.Count);
        Assert.Equal(all.Count, all.Select(a => a.GetProperty("id").GetString()).Distinct(StringComparer.Ordinal).Count());
        Assert.False(agent.Process.HasExited, "the agent ended:\n" + agent.Process.Error);
    }

    /// <summary>The central history's run alerts, as <c>sysprint alerts --db URL --json</c> lists them.</summary>
    private List<JsonElement> RunAlerts()
    {
        var (exit, output, error) = Support.Cli.Run("alerts", "--db", _pg.Url, "--json", "--limit", "1000");
        Assert.True(exit == 0, error);
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement)
            .Where(a => a.GetProperty("source").GetString() == "run")];
    }

    /// <summary>The alerts a run printed (one line each).</summary>
    private static int Raised(string output) =>
        output.Split('\n').Count(line => line.Contains(Sysprint.Agent.Alerts.AlertFactory.MismatchRule, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        foreach (Process process in _processes)
        {
            process.Dispose();
        }

        if (_pg is not null)
        {
            await _pg.DisposeAsync();
        }

        _dir.Dispose();
    }

    private async Task<Server> StartServerAsync(int? port = null)
    {
        port ??= FreePort();
        Process process = Track(Process.Start(["serve", "--db", _pg.Url, "--listen", $"127.0.0.1:{port}",
            "--admin-token-file", _dir.PathOf("admin.token"), "--heartbeat-interval", "1s"]));
        await Eventually.TrueAsync(() => Task.FromResult(process.Out.Contains("listening on ", StringComparison.Ordinal) || process.HasExited),
            $"serve listening on port {port}", () => process.Error, seconds: 120);
        Assert.False(process.HasExited, $"serve on port {port} ended at start:\n{process.Error}");
        return new Server(process, port.Value);
    }

    private Agent StartAgent(string host, Server server)
    {
        string db = _dir.PathOf(host + ".db");
        if (!File.Exists(db))
        {
            var (exit, _, error) = Support.Cli.Run("train", "--db", db, _dir.Write("normal.strace", Normal));
            Assert.True(exit == 0, error);
        }

        Directory.CreateDirectory(_dir.PathOf(host));
        Process process = Track(Process.Start(["watch", "--db", db, "--server", $"http://127.0.0.1:{server.Port}/",
            "--enroll-token", _secret, "--host", host, "-q", _dir.PathOf(host)]));
        return new Agent(process, host);
    }

    private Process Track(Process process)
    {
        _processes.Add(process);
        return process;
    }

    private async Task CentralAtLeastAsync(int alerts, string what, Agent agent, Server server) =>
        await Eventually.TrueAsync(async () => (await CentralAsync()).Total >= alerts, what, () => Diagnostics(agent, server), seconds: 120);

    /// <summary>
    /// Stops the writers, then waits until the central history holds every log's alerts, and checks
    /// that each (host, log, transition) is there once.
    /// </summary>
    private async Task AssertEveryAlertOnceAsync(VmWriter vms, Agent agent, Server server, VmWriter? vms2 = null, Agent? agent2 = null, Server? server2 = null)
    {
        await vms.StopAsync();
        if (vms2 is not null)
        {
            await vms2.StopAsync();
        }

        int expected = AlertsPerLog * (vms.Written + (vms2?.Written ?? 0));
        string Context() => Diagnostics(agent, server) + (agent2 is null ? "" : Diagnostics(agent2, server2!));
        // The agents retry with back-off up to 30 s after an outage: a deadline well past it.
        var catchUp = System.Diagnostics.Stopwatch.StartNew();
        await Eventually.TrueAsync(async () => (await CentralAsync()).Total >= expected, $"{expected} alerts stored centrally", Context, seconds: 240);

        Central central = await CentralAsync();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{vms.Written + (vms2?.Written ?? 0)} logs, {central.Total} alerts stored centrally ({central.Distinct} distinct, {expected} expected), all in {catchUp.Elapsed.TotalSeconds:F1} s after the last log");
        Assert.Equal(expected, central.Total);
        Assert.Equal(expected, central.Distinct);
        Assert.Equal(vms.Written + (vms2?.Written ?? 0), central.Logs);
    }

    private async Task<Central> CentralAsync()
    {
        try
        {
            await using NpgsqlConnection connection = await _pg.OpenAsync();
            await using var count = new NpgsqlCommand(
                "SELECT count(*), count(DISTINCT (host, log, details_json)), count(DISTINCT (host, log)) FROM alerts WHERE host IS NOT NULL AND source = 'watch'",
                connection);
            await using NpgsqlDataReader reader = await count.ExecuteReaderAsync(Ct);
            await reader.ReadAsync(Ct);
            return new Central(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException)
        {
            // PostgreSQL is down (the crash case): nothing can be counted yet.
            return new Central(-1, -1, -1);
        }
    }

    private static string Diagnostics(Agent agent, Server server) =>
        $"agent {agent.Host}:\n{agent.Process.Error}\nserve on {server.Port}:\n{server.Process.Error}";

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), Ct);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private sealed record Server(Process Process, int Port);

    private sealed record Agent(Process Process, string Host);

    private sealed record Central(long Total, long Distinct, long Logs);

    /// <summary>
    /// VMs writing one whole log every 100 ms into <c>SPOOL/vmN/</c>, round robin, from the moment
    /// it is made until <see cref="StopAsync"/>; each log has its own pid.
    /// </summary>
    private sealed class VmWriter : IAsyncDisposable
    {
        private static int s_pid = 1000;

        private readonly string _spool;
        private readonly int _vms;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _writing;
        private int _written;

        public VmWriter(string spool, int vms)
        {
            _spool = spool;
            _vms = vms;
            for (int vm = 1; vm <= vms; vm++)
            {
                Directory.CreateDirectory(Path.Combine(spool, "vm" + vm));
            }

            _writing = Task.Run(WriteAsync);
        }

        public int Written => Volatile.Read(ref _written);

        /// <summary>Returns once <paramref name="logs"/> more logs are written (the writer keeps its pace).</summary>
        public async Task WriteMoreAsync(int logs)
        {
            int target = Written + logs;
            await Eventually.TrueAsync(() => Task.FromResult(Written >= target || _writing.IsCompleted), $"{logs} more logs written", seconds: 120);
            await ThrowIfFailedAsync();
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await ThrowIfFailedAsync();
            await _writing.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _writing.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            _stop.Dispose();
        }

        private async Task ThrowIfFailedAsync()
        {
            if (_writing.IsFaulted)
            {
                await _writing;
            }
        }

        private async Task WriteAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                int n = _written;
                int pid = Interlocked.Increment(ref s_pid);
                string path = Path.Combine(_spool, "vm" + (n % _vms + 1), $"run{n:D5}.strace");
                await File.WriteAllTextAsync(path, HostnameLogs.SocketAfterRead(pid, exited: true), CancellationToken.None);
                Interlocked.Increment(ref _written);
                try
                {
                    await Task.Delay(100, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}

using System.Globalization;
using System.Net;
using System.Text.Json;
using Sysprint.Storage;

namespace Sysprint.Fleet.Tests.Support;

/// <summary>
/// A fleet for the console's tests: a server over this test's PostgreSQL database, which is also
/// its fingerprint store (profile 'default' learnt by the real <c>train</c> from a strace-shaped
/// log: openat → read → close → write), and helpers that send alerts as agents do, through the
/// agent API with each host's credential.
/// </summary>
internal sealed class ConsoleFleet : IDisposable
{
    /// <summary>A normal run: openat → read → close → write → exit_group, learnt into profile 'default'.</summary>
    public const string NormalLog =
        """
        100   openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3
        100   read(3, "vm\n", 131072) = 3
        100   close(3) = 0
        100   write(1, "vm\n", 3) = 3
        100   exit_group(0) = ?
        100   +++ exited with 0 +++

        """;

    /// <summary>The same run with a socket after close: close → socket and socket → write are unknown to the fingerprint.</summary>
    public const string TamperedLog =
        """
        100   openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3
        100   read(3, "vm\n", 131072) = 3
        100   close(3) = 0
        100   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3
        100   write(1, "vm\n", 3) = 3
        100   exit_group(0) = ?
        100   +++ exited with 0 +++

        """;

    private readonly Dictionary<string, string> _credentials = new(StringComparer.Ordinal);
    private int _next;

    private ConsoleFleet(TempDir dir, string storeUrl)
    {
        Dir = dir;
        StoreUrl = storeUrl;
    }

    public TempDir Dir { get; }

    /// <summary>The fingerprint store the server's console reads and learns into: this test's PostgreSQL database.</summary>
    public string StoreUrl { get; }

    public TestServer Server { get; private set; } = null!;

    /// <summary>Learns <see cref="NormalLog"/> into the test's database and starts a server whose console uses it.</summary>
    public static async Task<ConsoleFleet> StartAsync(FleetFixture fixture, Func<Sysprint.Server.ServeOptions, Sysprint.Server.ServeOptions>? configure = null)
    {
        var dir = new TempDir();
        string store = fixture.Db.Url;
        var (exit, _, error) = Cli.Run("train", "--db", store, dir.Write("normal.strace", NormalLog));
        Assert.True(exit == 0, error);
        var fleet = new ConsoleFleet(dir, store);
        fleet.Server = await fixture.StartServerAsync(o =>
        {
            Sysprint.Server.ServeOptions with = o with
            {
                OpenFingerprints = () => StoreBackends.Default.Open(StoreAddress.Parse(store), new StoreOpenOptions()),
                LivePollInterval = TimeSpan.FromMilliseconds(250),
            };
            return configure?.Invoke(with) ?? with;
        });
        return fleet;
    }

    /// <summary>The host's credential, enrolling it the first time.</summary>
    public async Task<string> CredentialAsync(string host)
    {
        if (!_credentials.TryGetValue(host, out string? credential))
        {
            credential = await Server.EnrollAsync(host);
            _credentials[host] = credential;
        }

        return credential;
    }

    /// <summary>Sends one mismatch alert from <paramref name="host"/> as its agent would; returns its uuid.</summary>
    public async Task<Guid> SendAlertAsync(string host, string vm = "web-01", string profile = "default", string detector = "paper",
        string program = "cat", string prev = "close", string next = "socket", DateTimeOffset? time = null)
    {
        int n = Interlocked.Increment(ref _next);
        var uuid = Guid.NewGuid();
        DateTimeOffset at = time ?? DateTimeOffset.UtcNow;
        string json = MismatchJson(uuid, at, host, vm, profile, detector, program, prev, next, n);
        using HttpResponseMessage response = await Server.SendAsync(HttpMethod.Post, "/api/agent/alerts", """{"alerts":[""" + json + "]}", await CredentialAsync(host));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return uuid;
    }

    /// <summary>An alert as <c>Sysprint.Agent.Alerts.AlertFactory.Mismatch</c> renders it.</summary>
    public static string MismatchJson(Guid uuid, DateTimeOffset time, string host, string vm, string profile, string detector, string program,
        string prev, string next, int line)
    {
        var fields = new Dictionary<string, object?>
        {
            ["log.name"] = $"/var/spool/sysprint/{vm}/{program}-{line}.strace",
            ["log.line"] = line,
            ["vm.name"] = vm,
            ["proc.pid"] = 100,
            ["program"] = program,
            ["mismatch.prev"] = prev,
            ["mismatch.next"] = next,
            ["mismatch.count"] = 1,
            ["mismatch.window"] = $"{prev} {next}",
            ["profile"] = profile,
            ["detector"] = detector,
        };
        var alert = new Dictionary<string, object?>
        {
            ["uuid"] = uuid.ToString("D"),
            ["time"] = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
            ["rule"] = "Unknown system-call transition",
            ["priority"] = "Critical",
            ["source"] = "syscall",
            ["hostname"] = host,
            ["output"] = $"Unknown system-call transition {prev} -> {next} in a well-known program (vm={vm} line={line} program={program} profile={profile})",
            ["tags"] = new[] { "sysprint", "host", "syscall", "anomalous_session" },
            ["output_fields"] = fields,
        };
        return JsonSerializer.Serialize(alert);
    }

    /// <summary>A heartbeat from <paramref name="host"/>.</summary>
    public async Task HeartbeatAsync(string host, string pending = """{"server":0}""", string? lastError = null)
    {
        string error = lastError is null ? "null" : JsonSerializer.Serialize(lastError);
        using HttpResponseMessage response = await Server.SendAsync(HttpMethod.Post, "/api/agent/heartbeat",
            $$"""{"version":"0.9.0","lag_bytes":128,"files":2,"pending":{{pending}},"last_error":{{error}}}""", await CredentialAsync(host));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public void Dispose() => Dir.Dispose();
}

using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Sysprint.Agent.Tests.Hosting;

/// <summary>
/// <c>watch --metrics</c>: a real agent process serves <c>/metrics</c> on loopback, scraped over
/// HTTP and read as Prometheus' text exposition; wrong addresses are refused with the key or flag.
/// </summary>
[Trait("Speed", "slow")]
public sealed class MetricsTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _db;
    private readonly string _spool;

    public MetricsTests()
    {
        _db = Support.Cli.TrainedStore(_dir, "agent.db", Logs.NormalLines(100, 3) + "100   +++ exited with 0 +++\n");
        _spool = _dir.PathOf("spool");
        Directory.CreateDirectory(Path.Combine(_spool, "web-01"));
    }

    public void Dispose() => _dir.Dispose();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Prometheus' text exposition: each sample line <c>name{labels} value</c>, keyed by everything before the value.</summary>
    private static Dictionary<string, double> Parse(string exposition)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string line in exposition.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            int space = line.LastIndexOf(' ');
            samples[line[..space]] = double.Parse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return samples;
    }

    [Fact]
    public async Task A_running_agent_serves_lines_syscalls_alerts_pending_per_sink_lag_per_vm_and_the_last_error()
    {
        int port = FreePort();
        string log = Path.Combine(_spool, "web-01", "a.strace");
        await File.WriteAllTextAsync(log, Logs.NormalLines(300, 2) + "300   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4\n", TestContext.Current.CancellationToken);
        using SysprintProcess agent = SysprintProcess.Start(["watch", "--db", _db, "-q", "--metrics", $"127.0.0.1:{port}",
            "--alert-program", "cat >/dev/null; exit 3", _spool]);
        await agent.WaitForErrorAsync($"serving Prometheus metrics at http://127.0.0.1:{port}/metrics", TimeSpan.FromSeconds(60));
        using var http = new HttpClient();

        Dictionary<string, double> samples = [];
        string text = "";
        await Eventually.TrueAsync(() =>
        {
            text = http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"), TestContext.Current.CancellationToken).GetAwaiter().GetResult();
            samples = Parse(text);
            return samples.GetValueOrDefault("sysprint_syscalls_checked_total") >= 7 && samples.GetValueOrDefault("sysprint_sink_last_error_timestamp_seconds{sink=\"program:cat >/dev/null; exit 3\"}") > 0;
        }, "the agent to read the log and fail a delivery");

        Assert.Contains("# TYPE sysprint_lines_read_total counter", text, StringComparison.Ordinal);
        Assert.Equal(7, samples["sysprint_lines_read_total"]);
        Assert.Equal(7, samples["sysprint_syscalls_checked_total"]);
        Assert.Equal(1, samples["sysprint_alerts_raised_total{source=\"syscall\"}"]);
        Assert.Equal(0, samples["sysprint_alerts_raised_total{source=\"internal\"}"]);
        Assert.Equal(1, samples["sysprint_alerts_pending{sink=\"program:cat >/dev/null; exit 3\"}"]);
        Assert.Equal(0, samples["sysprint_vm_lag_bytes{vm=\"web-01\"}"]);
        Assert.Equal(0, samples["sysprint_vm_silent{vm=\"web-01\"}"]);
        Assert.True(samples["sysprint_vm_last_growth_age_seconds{vm=\"web-01\"}"] >= 0);
        Assert.Equal(1, samples["sysprint_files_reading"]);
        Assert.True(samples["sysprint_last_error_timestamp_seconds"] > 1.7e9);
        Assert.Contains(samples.Keys, k => k.StartsWith("sysprint_last_error_info{where=\"sink program:cat >/dev/null; exit 3\",error=\"the program exited with status 3", StringComparison.Ordinal));

        // Appended lines are counted as read, and the counters only go up.
        await File.AppendAllTextAsync(log, Logs.NormalLines(300, 1), TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(() => Parse(http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"), TestContext.Current.CancellationToken).GetAwaiter().GetResult())
            .GetValueOrDefault("sysprint_lines_read_total") == 10, "the appended lines counted");

        agent.Signal(SysprintProcess.SigTerm);
        Assert.Equal(0, agent.WaitForExit());
    }

    [Theory]
    [InlineData("9464", "expected HOST:PORT, e.g. 127.0.0.1:9464")]
    [InlineData("127.0.0.1:99999", "the port '99999' is not a number from 1 to 65535")]
    [InlineData("metrics.example:9464", "the host 'metrics.example' is not an IP address (127.0.0.1, [::1], 0.0.0.0 for every interface) or localhost")]
    public void A_wrong_address_is_a_usage_error_naming_the_flag_or_the_config_key(string address, string reason)
    {
        var (exit, _, error) = Support.Cli.Run("watch", "--db", _db, "--metrics", address, _spool);

        Assert.Equal(64, exit);
        Assert.Equal($"sysprint: error: --metrics '{address}': {reason}", error.Trim());

        string config = _dir.Write("agent.json", $$"""{ "spools": ["{{_spool}}"], "metrics": "{{address}}" }""");
        (exit, _, error) = Support.Cli.Run("watch", "--db", _db, "--config", config);

        Assert.Equal(65, exit);
        Assert.Equal($"sysprint: error: {config}: metrics '{address}': {reason}", error.Trim());
    }

    [Fact]
    public void An_address_in_use_stops_the_agent_with_75_naming_it()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var (exit, _, error) = Support.Cli.Run("watch", "--db", _db, "--metrics", $"127.0.0.1:{port}", _spool);

        Assert.Equal(75, exit);
        Assert.Contains($"sysprint: error: 127.0.0.1:{port}: cannot serve the metrics there: ", error, StringComparison.Ordinal);
        Assert.Contains("give another HOST:PORT to --metrics or 'metrics'", error, StringComparison.Ordinal);
    }
}

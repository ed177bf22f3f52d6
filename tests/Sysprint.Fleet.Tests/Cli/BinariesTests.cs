using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Sysprint.Fleet.Tests.Support;

namespace Sysprint.Fleet.Tests.Cli;

/// <summary>
/// The traced binary's SHA-256 (issue 13 item 6): real <c>sysprint run</c> and <c>attach</c>
/// processes (the native tracer) on three hosts record their checks in the fleet's PostgreSQL
/// store; one host runs a binary that differs by one byte, which <c>hosts --binaries</c> names.
/// </summary>
public sealed class BinariesTests : FleetFixture
{
    [Fact]
    public async Task Run_and_attach_record_the_traced_binarys_sha256_and_hosts_binaries_names_the_host_that_differs_from_the_majority()
    {
        using var dir = new TempDir();
        string input = dir.Write("input.txt", "hello\n");
        string good = Copy("/bin/cat", dir.PathOf("good/cat"));
        string odd = Copy("/bin/cat", dir.PathOf("odd/cat"));
        await File.AppendAllTextAsync(odd, "x", TestContext.Current.CancellationToken);
        Assert.Equal(0, Run(null, "run", "--db", Db.Url, "--learn", "--profile", "cat", "--", good, input).Exit);

        Assert.Equal(0, Run("hv-1", "run", "--db", Db.Url, "--profile", "cat", "-q", "--", good, input).Exit);
        Assert.Equal(0, Run("hv-2", "run", "--db", Db.Url, "--profile", "cat", "-q", "--", good, input).Exit);
        var (oddExit, oddOut) = Run("hv-3", "run", "--db", Db.Url, "--profile", "cat", "--", odd, "--version");
        var (exit, json, error) = Support.Cli.Run("hosts", "--db", Db.Url, "--binaries", "cat", "--json");
        var (textExit, text, _) = Support.Cli.Run("hosts", "--db", Db.Url, "--binaries", "cat");
        var (alertsExit, alerts, _) = Support.Cli.Run("alerts", "--db", Db.Url, "--host", "hv-3", "--json");
        JsonElement console = await ConsoleGetAsync("/api/alerts?host=hv-3");
        JsonElement detail = await ConsoleGetAsync($"/api/alerts/{console.GetProperty("alerts")[0].GetProperty("seq").GetInt64()}");

        Assert.True(oddExit == 1, oddOut);
        Assert.True(exit == 0, error);
        JsonElement found = JsonDocument.Parse(json).RootElement;
        Assert.Equal((3, 2, Sha256(good), 2), (found.GetProperty("hosts").GetInt32(), found.GetProperty("binaries").GetInt32(),
            found.GetProperty("majority").GetProperty("sha256").GetString(), found.GetProperty("majority").GetProperty("hosts").GetInt32()));
        JsonElement differing = Assert.Single(found.GetProperty("differing").EnumerateArray());
        Assert.Equal(("hv-3", Sha256(odd), odd), (differing.GetProperty("host").GetString(), differing.GetProperty("sha256").GetString(),
            differing.GetProperty("path").GetString()));
        Assert.Equal(0, textExit);
        Assert.StartsWith($"cat: 3 hosts; the majority (2) run sha256 {Sha256(good)}; 1 differ:", text, StringComparison.Ordinal);
        Assert.Equal(0, alertsExit);
        JsonElement alert = JsonDocument.Parse(alerts.Split('\n')[0]).RootElement;
        Assert.Equal(("run", odd, Sha256(odd)), (alert.GetProperty("source").GetString(), alert.GetProperty("binary_path").GetString(),
            alert.GetProperty("binary_sha256").GetString()));
        Assert.Equal(("run", Sha256(odd)), (console.GetProperty("alerts")[0].GetProperty("source").GetString(),
            detail.GetProperty("explanation").GetProperty("binary_sha256").GetString()));
    }

    private async Task<JsonElement> ConsoleGetAsync(string path)
    {
        using HttpResponseMessage response = await Server.SendAsync(HttpMethod.Get, path, bearer: TestServer.AdminToken);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
        return await TestServer.JsonAsync(response);
    }

    [Fact]
    public async Task Attach_hashes_the_attached_process_executable_through_proc()
    {
        Assert.Equal(0, Run(null, "run", "--db", Db.Url, "--learn", "--profile", "sleep", "--", "sleep", "0").Exit);
        using var sleeper = Process.Start("sleep", "600")!;
        string exe = new FileInfo($"/proc/{sleeper.Id}/exe").LinkTarget!;
        using SysprintProcess attach = SysprintProcess.Start(
            ["attach", "--db", Db.Url, "--profile", "sleep", "-q", sleeper.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            new Dictionary<string, string> { ["SYSPRINT_HOSTNAME"] = "hv-9" });
        // Traced once its TracerPid is set; then the process ends, and so does the attach.
        await Eventually.TrueAsync(() => Task.FromResult(TracerPid(sleeper.Id) != 0 || attach.HasExited), "the attach tracing sleep", () => attach.Error);
        sleeper.Kill();
        int attachExit = attach.WaitForExit(120);
        var (exit, json, error) = Support.Cli.Run("hosts", "--db", Db.Url, "--binaries", "sleep", "--json");

        Assert.True(attachExit is 0 or 1, attach.Out + attach.Error);
        Assert.True(exit == 0, error);
        JsonElement found = JsonDocument.Parse(json).RootElement;
        Assert.Equal((1, Sha256(exe)), (found.GetProperty("hosts").GetInt32(), found.GetProperty("majority").GetProperty("sha256").GetString()));
    }

    /// <summary>Runs the real CLI as a child process (the native tracer ptraces from it, not from the test process), as <paramref name="host"/>.</summary>
    private static (int Exit, string Output) Run(string? host, params string[] args)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (host is not null)
        {
            environment["SYSPRINT_HOSTNAME"] = host;
        }

        using SysprintProcess process = SysprintProcess.Start(args, environment);
        int exit = process.WaitForExit(120);
        return (exit, process.Out + process.Error);
    }

    private static string Copy(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Copy(from, to); // keeps the mode on Unix
        return to;
    }

    private static int TracerPid(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("TracerPid:", StringComparison.Ordinal))
            {
                return int.Parse(line.AsSpan(10).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}

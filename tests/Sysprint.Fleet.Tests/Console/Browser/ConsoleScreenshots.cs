using System.Diagnostics;
using Microsoft.Playwright;
using Sysprint.Fleet.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Sysprint.Fleet.Tests.Console.Browser;

/// <summary>
/// Not a test: the screenshots of each page under docs/console/, taken by
/// <c>scripts/console-screenshots.sh</c> (which sets <c>SYSPRINT_CONSOLE_SCREENSHOTS</c> to the
/// folder). The fleet is real: profiles learnt by <c>train</c> from strace captures of real
/// programs run here, hosts enrolled and beating through the agent API, one host silent, one
/// lagging, one revoked, and a day of alerts.
/// </summary>
public sealed class ConsoleScreenshots(Chromium chromium) : FleetFixture, IClassFixture<Chromium>
{
    public const string Variable = "SYSPRINT_CONSOLE_SCREENSHOTS";

    private static readonly (string Program, string[] Args)[] s_runs =
    [
        ("cat", ["/etc/hostname"]), ("cat", ["/etc/os-release"]), ("cat", ["/etc/hosts", "/etc/hostname"]), ("cat", ["/etc/passwd"]),
        ("ls", ["/"]), ("ls", ["-l", "/etc"]), ("ls", ["-a", "/usr"]), ("ls", ["-la", "/tmp"]), ("ls", ["-R", "/etc/apt"]),
        ("date", []), ("date", ["-u"]), ("date", ["+%s"]),
        ("sort", ["/etc/passwd"]), ("sort", ["-r", "/etc/group"]), ("sort", ["-u", "/etc/hosts"]),
        ("cat", ["/etc/group"]), ("ls", ["-1", "/usr/bin"]), ("cat", ["/etc/shells"]),
    ];

    [Fact]
    public async Task Take_the_screenshots_of_every_page()
    {
        string? folder = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(folder))
        {
            Assert.Skip($"{Variable} is not set: scripts/console-screenshots.sh takes the screenshots");
        }

        Directory.CreateDirectory(folder);
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this);
        TestServer fast = await StartServerAsync(o => o with { HeartbeatInterval = TimeSpan.FromSeconds(1) });
        foreach (var (program, args) in s_runs)
        {
            string log = Trace(fleet.Dir, program, args);
            var (exit, _, error) = Support.Cli.Run("train", "--db", fleet.StoreUrl, "--profile", program, log);
            Assert.True(exit == 0, error);
        }

        Assert.Equal(0, Support.Cli.Run("seal", "--db", fleet.StoreUrl, "--key", fleet.Dir.PathOf("fleet.key")).Exit);
        string[] hosts = [.. Enumerable.Range(1, 14).Select(i => $"hv-{i:00}.dc1")];
        foreach (string host in hosts)
        {
            await fleet.HeartbeatAsync(host);
        }

        await fleet.HeartbeatAsync("hv-05.dc1", pending: """{"server":0,"webhook":37}""", lastError: "webhook https://soc.example/hook: connection refused");
        (await fleet.Server.SendAsync(HttpMethod.Post, "/api/hosts/hv-14.dc1/revoke", bearer: TestServer.AdminToken)).Dispose();
        foreach (string silent in new[] { "hv-15.dc2", "hv-16.dc2" })
        {
            string credential = await fast.EnrollAsync(silent);
            (await fast.SendAsync(HttpMethod.Post, "/api/agent/heartbeat", """{"version":"0.9.0","lag_bytes":0,"files":1,"pending":{}}""", credential)).Dispose();
        }

        var random = new Random(14);
        (string Profile, string Prev, string Next, string Detector)[] findings =
        [
            ("cat", "close", "socket", "paper"), ("cat", "socket", "connect", "paper"), ("ls", "getdents64", "execve", "paper"),
            ("sort", "read", "mprotect", "stide"), ("date", "openat", "socket", "paper"), ("ls", "close", "ptrace", "paper"),
            ("cat", "connect", "write", "stide"), ("sort", "mmap", "clone3", "paper"),
        ];
        DateTimeOffset now = DateTimeOffset.UtcNow;
        for (int i = 0; i < 140; i++)
        {
            var f = findings[random.Next(findings.Length)];
            string host = hosts[Math.Min(random.Next(hosts.Length), random.Next(hosts.Length))];
            await fleet.SendAlertAsync(host == "hv-14.dc1" ? "hv-13.dc1" : host, vm: $"vm-{random.Next(1, 9):00}", profile: f.Profile, detector: f.Detector,
                program: f.Profile, prev: f.Prev, next: f.Next, time: now.AddMinutes(-random.Next(0, 24 * 60)));
        }

        var page = await NewPageAsync(chromium);
        await page.GotoAsync(fleet.Server.Address + "login");
        await page.FillAsync("#token", TestServer.AdminToken);
        await page.FillAsync("#name", "alice");
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, "login.png") });
        await page.ClickAsync("#sign-in");
        await Expect(page.Locator("#host-states")).ToBeVisibleAsync(new() { Timeout = Chromium.Timeout });

        await page.GotoAsync(fleet.Server.Address + "alerts?host=hv-02.dc1");
        string seq = (await page.Locator("#alerts-table tbody tr").First.GetAttributeAsync("data-seq"))!;
        await page.Locator("#alerts-table tbody tr").First.Locator("button.normal").ClickAsync();
        await page.FillAsync("#normal-note", "cat of the new release logs to a socket");
        await page.ClickAsync("#normal-confirm");
        await Expect(page.Locator($"#alerts-table tbody tr[data-seq='{seq}'] td.status .badge")).ToHaveTextAsync("dismissed", new() { Timeout = Chromium.Timeout });
        await page.Locator("#alerts-table tbody tr").Nth(1).Locator("button.ack").ClickAsync();
        await page.FillAsync("#ack-note", "INC-2291: pentest window");
        await page.ClickAsync("#ack-confirm");
        await Expect(page.Locator("#alerts-table tbody tr").Nth(1).Locator("td.status .badge")).ToHaveTextAsync("acknowledged", new() { Timeout = Chromium.Timeout });

        // The two hosts told to beat every second are silent after 3.5 s without one.
        await Shoot(page, fleet, "", "#chart-hours", folder, "overview.png", "#host-states [data-state='silent'] .count", "2");
        await Shoot(page, fleet, "alerts?status=new", "#alerts-table tbody tr", folder, "alerts.png");
        await page.GotoAsync(fleet.Server.Address + "alerts?host=hv-03.dc1");
        string detail = (await page.Locator("#alerts-table tbody tr").First.GetAttributeAsync("data-seq"))!;
        await Shoot(page, fleet, "alerts/" + detail, "#fleet-view", folder, "alert.png");
        await Shoot(page, fleet, "hosts", "#hosts-table", folder, "hosts.png");
        await Shoot(page, fleet, "hosts/hv-02.dc1", "#host-vms", folder, "host.png");
        await Shoot(page, fleet, "fingerprints", "#profiles-table", folder, "fingerprints.png");
        await Shoot(page, fleet, "fingerprints/cat", "#heatmap", folder, "fingerprint.png");
        foreach (string window in new[] { """{"group":"default","profile":"ls","duration_s":1800}""", """{"group":"default","profile":"cat","duration_s":7200}""" })
        {
            using HttpResponseMessage opened = await fleet.Server.SendAsync(HttpMethod.Post, "/api/learning-windows", window, TestServer.AdminToken);
            Assert.True(opened.IsSuccessStatusCode, await opened.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        (await fleet.Server.SendAsync(HttpMethod.Post, "/api/learning-windows/1/close", bearer: TestServer.AdminToken)).Dispose();
        await Shoot(page, fleet, "learning", "#learning-windows", folder, "learning.png");
    }

    private static async Task Shoot(IPage page, ConsoleFleet fleet, string path, string ready, string folder, string name, string? waitFor = null, string? text = null)
    {
        await page.GotoAsync(fleet.Server.Address + path);
        await Expect(page.Locator(ready).First).ToBeVisibleAsync(new() { Timeout = Chromium.Timeout });
        if (waitFor is not null)
        {
            // A page drawn before the silent hosts' third missed beat: reload until the server says so.
            for (int i = 0; i < 60 && (await page.Locator(waitFor).TextContentAsync())?.Trim() != text; i++)
            {
                await page.WaitForTimeoutAsync(1000);
                await page.ReloadAsync();
                await Expect(page.Locator(ready).First).ToBeVisibleAsync(new() { Timeout = Chromium.Timeout });
            }
        }

        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, name), FullPage = true });
    }

    private static async Task<IPage> NewPageAsync(Chromium chromium)
    {
        IBrowserContext context = await chromium.NewContextAsync([]);
        return await context.NewPageAsync();
    }

    /// <summary>Runs <paramref name="program"/> under strace (<c>-f</c>) and returns the capture's path.</summary>
    private static string Trace(TempDir dir, string program, string[] args)
    {
        string log = dir.PathOf($"{program}-{Guid.NewGuid():N}.strace");
        var start = new ProcessStartInfo("strace") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { "-f", "-o", log, "--", program }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(File.Exists(log), $"strace wrote no {log}");
        return log;
    }
}

using Microsoft.Playwright;
using Sysprint.Fleet.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Sysprint.Fleet.Tests.Console.Browser;

/// <summary>
/// The console in a real Chromium against a real server, PostgreSQL and SQLite fingerprint store.
/// Every wait is on a DOM condition with a generous deadline (<see cref="Chromium.Timeout"/>), never a fixed sleep.
/// </summary>
public sealed class ConsoleBrowserTests(Chromium chromium) : FleetFixture, IClassFixture<Chromium>
{
    private static readonly LocatorAssertionsToBeVisibleOptions s_visible = new() { Timeout = Chromium.Timeout };
    private static readonly LocatorAssertionsToHaveTextOptions s_text = new() { Timeout = Chromium.Timeout };
    private static readonly PageAssertionsToHaveURLOptions s_url = new() { Timeout = Chromium.Timeout };
    private readonly List<string> _requests = [];
    private readonly List<string> _consoleErrors = [];

    [Fact]
    public async Task Signing_in_with_the_admin_token_opens_the_console_and_a_wrong_token_is_rejected()
    {
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this);
        IPage page = await NewPageAsync();

        await page.GotoAsync(fleet.Server.Address + "alerts");
        await Expect(page).ToHaveURLAsync(fleet.Server.Address + "login", s_url);
        await page.FillAsync("#token", "not-the-token");
        await page.ClickAsync("#sign-in");
        await Expect(page.Locator("#login-error")).ToHaveTextAsync("Wrong admin token.", s_text);
        await page.FillAsync("#token", TestServer.AdminToken);
        await page.FillAsync("#name", "dana");
        await page.ClickAsync("#sign-in");

        await Expect(page.Locator("#host-states")).ToBeVisibleAsync(s_visible);
        await Expect(page.Locator("#user")).ToHaveTextAsync("dana", s_text);
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task A_checks_alert_shows_each_mismatch_with_its_fleet_view_and_a_call_set_finding_explains_instead_of_learning()
    {
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this);
        string tampered = fleet.Dir.Write("tampered.strace", ConsoleFleet.TamperedLog);
        Assert.Equal(1, Support.Cli.RunAs("hv-cli", "check", "--db", fleet.StoreUrl, tampered).Exit);
        await fleet.SendAlertAsync("hv-01", prev: "close", next: "socket");
        string callset = ConsoleFleet.MismatchJson(Guid.NewGuid(), DateTimeOffset.UtcNow, "hv-02", "web-01", "default", "callset", "cat", "close", "ptrace", 7)
            .Replace("\"detector\":\"callset\"", "\"detector\":\"callset\",\"reason\":\"call not in the nearest normal run\"", StringComparison.Ordinal);
        using (HttpResponseMessage sent = await fleet.Server.SendAsync(HttpMethod.Post, "/api/agent/alerts", """{"alerts":[""" + callset + "]}",
            await fleet.CredentialAsync("hv-02")))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, sent.StatusCode);
        }

        IPage page = await SignInAsync(fleet);
        await page.GotoAsync(fleet.Server.Address + "alerts?host=hv-cli");
        await Expect(page.Locator("#alerts-table tbody tr td.fleet")).ToHaveTextAsync("1 / 3", s_text);
        await page.ClickAsync("#alerts-table tbody tr td.time a");
        await Expect(page.Locator("#mismatches tbody tr")).ToHaveCountAsync(2, new() { Timeout = Chromium.Timeout });
        await Expect(page.Locator("#mismatches tbody tr").Nth(0)).ToContainTextAsync("close → socket", new() { Timeout = Chromium.Timeout });
        await Expect(page.Locator("#mismatches tbody tr").Nth(0)).ToContainTextAsync("2 of 3 hosts", new() { Timeout = Chromium.Timeout });
        await Expect(page.Locator("#mismatches tbody tr").Nth(1)).ToContainTextAsync("1 of 3 hosts", new() { Timeout = Chromium.Timeout });
        await page.GotoAsync(fleet.Server.Address + "alerts?host=hv-02");
        await page.ClickAsync("#alerts-table tbody tr button.normal");
        await Expect(page.Locator("#normal-what")).ToContainTextAsync("This is a call-set finding: the run made ptrace", new() { Timeout = Chromium.Timeout });
        await Expect(page.Locator("#normal-confirm")).ToBeHiddenAsync(new() { Timeout = Chromium.Timeout });
        await page.ClickAsync("#normal-cancel");
        await Expect(page.Locator("#alerts-table tbody tr td.status")).ToHaveTextAsync("new", s_text);
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task Filtering_narrows_the_table_on_the_server_and_acknowledging_records_the_note()
    {
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this);
        await fleet.SendAlertAsync("hv-01", vm: "web-01");
        await fleet.SendAlertAsync("hv-02", vm: "db-01");
        await fleet.SendAlertAsync("hv-02", vm: "db-02", detector: "stide");
        IPage page = await SignInAsync(fleet);

        await page.GotoAsync(fleet.Server.Address + "alerts");
        await Expect(page.Locator("#alerts-table tbody tr")).ToHaveCountAsync(3, new() { Timeout = Chromium.Timeout });
        await page.FillAsync("#filter-host", "hv-02");
        await page.ClickAsync("#apply-filters");
        await Expect(page.Locator("#alerts-total")).ToHaveTextAsync("2 alerts match", s_text);
        await page.FillAsync("#filter-detector", "stide");
        await page.ClickAsync("#apply-filters");
        await Expect(page.Locator("#alerts-total")).ToHaveTextAsync("1 alert match", s_text);
        await Expect(page.Locator("#alerts-table tbody tr td.vm")).ToHaveTextAsync("db-02", s_text);
        Assert.Contains("?host=hv-02&detector=stide", page.Url, StringComparison.Ordinal);

        await page.ClickAsync("#alerts-table tbody tr button.ack");
        await page.FillAsync("#ack-note", "OPS-7: scanner on db-02");
        await page.ClickAsync("#ack-confirm");

        await Expect(page.Locator("#alerts-table tbody tr td.status")).ToHaveTextAsync("acknowledged by tester", s_text);
        await page.SelectOptionAsync("#filter-status", "new");
        await page.FillAsync("#filter-detector", "");
        await page.ClickAsync("#apply-filters");
        await Expect(page.Locator("#alerts-total")).ToHaveTextAsync("1 alert match", s_text);
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task This_is_normal_after_a_confirmation_learns_the_pattern_so_that_it_no_longer_alerts()
    {
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this);
        string log = fleet.Dir.Write("close-socket.strace",
            """
            100   openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3
            100   read(3, "vm\n", 131072) = 3
            100   close(3) = 0
            100   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3
            100   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4
            100   +++ exited with 0 +++

            """);
        var (before, beforeOut, _) = Support.Cli.Run("check", "--db", fleet.StoreUrl, log);
        await fleet.SendAlertAsync("hv-01", prev: "close", next: "socket");
        await fleet.SendAlertAsync("hv-02", prev: "close", next: "socket");
        await fleet.SendAlertAsync("hv-02", prev: "socket", next: "socket");
        IPage page = await SignInAsync(fleet);
        await page.GotoAsync(fleet.Server.Address + "alerts?host=hv-01");
        await Expect(page.Locator("#alerts-total")).ToHaveTextAsync("1 alert match", s_text);

        string seq = (await page.Locator("#alerts-table tbody tr").GetAttributeAsync("data-seq"))!;
        await page.ClickAsync("#alerts-table tbody tr button.normal");
        await Expect(page.Locator("#normal-what")).ToHaveTextAsync($"Learn \"close socket\" into profile 'default' (alert #{seq} on hv-01).", s_text);
        await page.ClickAsync("#normal-cancel");
        await Expect(page.Locator("#alerts-table tbody tr td.status")).ToHaveTextAsync("new", s_text);
        await page.ClickAsync("#alerts-table tbody tr button.normal");
        await page.FillAsync("#normal-note", "the new release opens a socket");
        await page.ClickAsync("#normal-confirm");
        await Expect(page.Locator("#alerts-table tbody tr td.status")).ToHaveTextAsync("dismissed by tester", s_text);
        // The check above is in the history too (as this machine): hv-02's alerts are the agents' ones left.
        await page.GotoAsync(fleet.Server.Address + "alerts?status=new&host=hv-02");
        await Expect(page.Locator("#alerts-total")).ToHaveTextAsync("1 alert match", s_text);
        await page.ClickAsync("#alerts-table tbody tr button.normal");
        await page.ClickAsync("#normal-confirm");
        await Expect(page.Locator("#alerts-total")).ToHaveTextAsync("0 alerts match", s_text);
        var (after, afterOut, _) = Support.Cli.Run("check", "--db", fleet.StoreUrl, log);

        Assert.True(before == 1, beforeOut);
        Assert.True(after == 0, afterOut);
        await page.GotoAsync(fleet.Server.Address + "fingerprints/default");
        await Expect(page.Locator("#profile-details")).ToContainTextAsync("tester at", new() { Timeout = Chromium.Timeout });
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task A_new_alert_appears_on_the_open_alerts_page_without_a_reload()
    {
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this);
        await fleet.SendAlertAsync("hv-01");
        IPage page = await SignInAsync(fleet);
        await page.GotoAsync(fleet.Server.Address + "alerts");
        await Expect(page.Locator("#live")).ToHaveTextAsync("live", s_text);
        await Expect(page.Locator("#alerts-table tbody tr")).ToHaveCountAsync(1, new() { Timeout = Chromium.Timeout });
        await page.EvaluateAsync("() => { window.sysprintNoReload = true; }");

        await fleet.SendAlertAsync("hv-07", vm: "mail-03", prev: "read", next: "connect");

        await Expect(page.Locator("#alerts-table tbody tr").First.Locator("td.host")).ToHaveTextAsync("hv-07", s_text);
        await Expect(page.Locator("#alerts-table tbody tr")).ToHaveCountAsync(2, new() { Timeout = Chromium.Timeout });
        Assert.True(await page.EvaluateAsync<bool>("() => window.sysprintNoReload === true"));
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task A_host_that_stops_sending_heartbeats_turns_silent_on_the_open_hosts_page()
    {
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this, o => o with { HeartbeatInterval = TimeSpan.FromSeconds(1) });
        await fleet.HeartbeatAsync("hv-01");
        IPage page = await SignInAsync(fleet);
        await page.GotoAsync(fleet.Server.Address + "hosts");
        await Expect(page.Locator("#live")).ToHaveTextAsync("live", s_text);
        await page.EvaluateAsync("() => { window.sysprintNoReload = true; }");

        // No more heartbeats: after more than two missed intervals the server calls it silent and the feed says so.
        await Expect(page.Locator("#hosts-table tr[data-host='hv-01'] td.state .badge")).ToHaveTextAsync("silent", s_text);

        Assert.True(await page.EvaluateAsync<bool>("() => window.sysprintNoReload === true"));

        // Beating again: ok. With a 1 s interval one beat is ok for only 1.5 s, which a starved
        // machine may not poll in time, so the host keeps beating until the page shows it.
        using var beating = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        Task beats = Task.Run(async () =>
        {
            while (!beating.IsCancellationRequested)
            {
                await fleet.HeartbeatAsync("hv-01");
                await Task.Delay(200, CancellationToken.None);
            }
        }, CancellationToken.None);
        await Expect(page.Locator("#hosts-table tr[data-host='hv-01'] td.state .badge")).ToHaveTextAsync("ok", s_text);
        await beating.CancelAsync();
        await beats;
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task The_learning_page_opens_a_window_for_a_group_refuses_a_second_one_and_closes_it()
    {
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this);
        IPage page = await SignInAsync(fleet);
        await page.ClickAsync("nav a[data-nav=learning]");
        await Expect(page.Locator("#open-window")).ToBeVisibleAsync(s_visible);

        await page.FillAsync("#window-group", "web");
        await page.SelectOptionAsync("#window-profile", "default");
        await page.SelectOptionAsync("#window-duration", "3600");
        await page.ClickAsync("#window-open");
        ILocator row = page.Locator("#learning-windows tbody tr");
        await Expect(row.Locator("td.state")).ToHaveTextAsync("open", s_text);
        IReadOnlyList<LearningWindow> opened = await fleet.Server.Store.LearningWindows.ListAsync(TestContext.Current.CancellationToken);

        // The same group and profile again: the server refuses (409), the page says why.
        await page.ClickAsync("#window-open");
        await Expect(page.Locator("#toast")).ToContainTextAsync("already has learning window", new() { Timeout = Chromium.Timeout });
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = Chromium.Timeout });

        await row.Locator("button.close-window").ClickAsync();
        await Expect(row.Locator("td.state")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(closing|learnt)$"), s_text);

        LearningWindow window = Assert.Single(opened);
        Assert.Equal(("web", "default"), (window.Group, window.Profile));
        Assert.Equal(TimeSpan.FromHours(1), window.Closes - window.Opened);
        // The browser reports the refused request (409) itself; nothing else went wrong.
        Assert.All(_consoleErrors, e => Assert.Contains("status of 409", e, StringComparison.Ordinal));
    }

    [Fact]
    public async Task No_page_requests_anything_from_another_origin_nor_breaks_the_content_security_policy()
    {
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this);
        await fleet.HeartbeatAsync("hv-01");
        await fleet.SendAlertAsync("hv-01");
        IPage page = await SignInAsync(fleet);
        string origin = fleet.Server.Address.GetLeftPart(UriPartial.Authority);
        await page.GotoAsync(fleet.Server.Address + "alerts");
        string seq = (await page.Locator("#alerts-table tbody tr").GetAttributeAsync("data-seq"))!;

        foreach (var (path, ready) in new[]
        {
            ("", "#chart-hours"), ("alerts", "#alerts-table tbody tr"), ("alerts/" + seq, "#fleet-view"), ("hosts", "#hosts-table"),
            ("hosts/hv-01", "#host-vms"), ("fingerprints", "#profiles-table"), ("fingerprints/default", "#heatmap"), ("learning", "#open-window"),
        })
        {
            await page.GotoAsync(fleet.Server.Address + path);
            await Expect(page.Locator(ready).First).ToBeVisibleAsync(s_visible);
        }

        string[] requests;
        lock (_requests)
        {
            requests = [.. _requests];
        }

        Assert.True(requests.Length > 14, string.Join('\n', requests));
        Assert.All(requests, url => Assert.StartsWith(origin + "/", url, StringComparison.Ordinal));
        Assert.Empty(_consoleErrors);
    }

    private async Task<IPage> NewPageAsync()
    {
        IBrowserContext context = await chromium.NewContextAsync(_requests);
        IPage page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.Contains("Failed to load resource: the server responded with a status of 401", StringComparison.Ordinal))
            {
                lock (_consoleErrors)
                {
                    _consoleErrors.Add(message.Text);
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (_consoleErrors)
            {
                _consoleErrors.Add(error);
            }
        };
        return page;
    }

    private async Task<IPage> SignInAsync(ConsoleFleet fleet)
    {
        IPage page = await NewPageAsync();
        await page.GotoAsync(fleet.Server.Address + "login");
        await page.FillAsync("#token", TestServer.AdminToken);
        await page.FillAsync("#name", "tester");
        await page.ClickAsync("#sign-in");
        await Expect(page.Locator("#host-states")).ToBeVisibleAsync(s_visible);
        return page;
    }
}

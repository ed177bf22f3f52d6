using System.Net;
using System.Text.Json;
using Sysprint.Fleet.Tests.Support;

namespace Sysprint.Fleet.Tests.Console;

/// <summary>The console's JSON API on a real server over a real PostgreSQL and a real SQLite fingerprint store.</summary>
public sealed class ConsoleApiTests : FleetFixture
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Alerts_are_filtered_paged_and_counted_by_the_server()
    {
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this);
        DateTimeOffset t0 = DateTimeOffset.UtcNow.AddHours(-3);
        await fleet.SendAlertAsync("hv-01", vm: "web-01", time: t0);
        await fleet.SendAlertAsync("hv-01", vm: "web-02", program: "nginx", profile: "nginx", time: t0.AddHours(1));
        await fleet.SendAlertAsync("hv-02", vm: "db-01", detector: "stide", time: t0.AddHours(2));
        await fleet.SendAlertAsync("hv-02", vm: "db-01", time: t0.AddHours(2.5));

        JsonElement all = await GetAsync(fleet, "/api/alerts?limit=3");
        JsonElement host = await GetAsync(fleet, "/api/alerts?host=hv-02");
        JsonElement vm = await GetAsync(fleet, "/api/alerts?vm=web-02");
        JsonElement program = await GetAsync(fleet, "/api/alerts?program=nginx");
        JsonElement detector = await GetAsync(fleet, "/api/alerts?detector=stide");
        JsonElement window = await GetAsync(fleet, $"/api/alerts?since={Uri.EscapeDataString(t0.AddMinutes(30).ToString("O"))}&until={Uri.EscapeDataString(t0.AddHours(2.2).ToString("O"))}");
        JsonElement next = await GetAsync(fleet, $"/api/alerts?limit=3&before={all.GetProperty("next_before").GetInt64()}");

        Assert.Equal((3, 4L), (all.GetProperty("alerts").GetArrayLength(), all.GetProperty("total").GetInt64()));
        Assert.Equal(["db-01", "db-01"], Vms(host));
        Assert.Equal(["web-02"], Vms(vm));
        Assert.Equal(["web-02"], Vms(program));
        Assert.Equal(["db-01"], Vms(detector));
        Assert.Equal(["db-01", "web-02"], Vms(window));
        Assert.Equal(["web-01"], Vms(next));
        Assert.All(all.GetProperty("alerts").EnumerateArray(), a => Assert.Equal("new", a.GetProperty("status").GetString()));
    }

    [Theory]
    [InlineData("/api/alerts?status=open", "?status=open: expected one of new, acknowledged, dismissed")]
    [InlineData("/api/alerts?since=yesterday", "?since=yesterday: expected an ISO-8601 time, e.g. 2026-12-02T10:00:00Z")]
    [InlineData("/api/alerts?limit=5000", "?limit=5000: expected a whole number from 1 to 1000")]
    public async Task A_bad_filter_is_refused_naming_what_it_expects(string path, string message)
    {
        using HttpResponseMessage response = await Server.SendAsync(HttpMethod.Get, path, bearer: TestServer.AdminToken);

        Assert.Equal((HttpStatusCode.BadRequest, message), (response.StatusCode, await TestServer.ErrorAsync(response)));
    }

    [Fact]
    public async Task Acknowledging_records_the_note_who_and_when_and_the_status_filter_sees_it()
    {
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this);
        await fleet.SendAlertAsync("hv-01");
        await fleet.SendAlertAsync("hv-01", prev: "read", next: "socket");
        long seq = (await GetAsync(fleet, "/api/alerts")).GetProperty("alerts")[0].GetProperty("seq").GetInt64();

        using HttpResponseMessage ack = await fleet.Server.SendAsync(HttpMethod.Post, $"/api/alerts/{seq}/acknowledge",
            """{"note":"ticket OPS-12","by":"alice"}""", TestServer.AdminToken);
        JsonElement acknowledged = await GetAsync(fleet, "/api/alerts?status=acknowledged");
        JsonElement fresh = await GetAsync(fleet, "/api/alerts?status=new");
        using HttpResponseMessage missing = await fleet.Server.SendAsync(HttpMethod.Post, "/api/alerts/999999/acknowledge", "{}", TestServer.AdminToken);

        Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        JsonElement a = Assert.Single(acknowledged.GetProperty("alerts").EnumerateArray());
        Assert.Equal((seq, "ticket OPS-12", "alice (admin token)"),
            (a.GetProperty("seq").GetInt64(), a.GetProperty("status_note").GetString(), a.GetProperty("status_by").GetString()));
        Assert.True(DateTimeOffset.Parse(a.GetProperty("status_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.Equal(1, fresh.GetProperty("total").GetInt64());
        Assert.Equal((HttpStatusCode.NotFound, "no alert 999999"), (missing.StatusCode, await TestServer.ErrorAsync(missing)));
    }

    [Fact]
    public async Task This_is_normal_needs_a_confirmation_then_learns_the_window_so_the_log_checks_clean_and_dismisses_its_pattern_fleet_wide()
    {
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this);
        string tampered = fleet.Dir.Write("tampered.strace", ConsoleFleet.TamperedLog);
        Assert.Equal(1, Support.Cli.Run("check", "--db", fleet.StoreUrl, tampered).Exit);
        await fleet.SendAlertAsync("hv-01", prev: "close", next: "socket");
        await fleet.SendAlertAsync("hv-02", prev: "close", next: "socket");
        await fleet.SendAlertAsync("hv-02", prev: "socket", next: "write");
        JsonElement alerts = (await GetAsync(fleet, "/api/alerts?host=hv-01")).GetProperty("alerts");
        long seq = alerts[0].GetProperty("seq").GetInt64();

        using HttpResponseMessage unconfirmed = await fleet.Server.SendAsync(HttpMethod.Post, $"/api/alerts/{seq}/normal", """{"note":"new release"}""", TestServer.AdminToken);
        using HttpResponseMessage normal = await fleet.Server.SendAsync(HttpMethod.Post, $"/api/alerts/{seq}/normal",
            """{"confirm":true,"note":"nginx 1.27 opens a socket","by":"bob"}""", TestServer.AdminToken);
        JsonElement outcome = await TestServer.JsonAsync(normal);
        int stillAnomalous = Support.Cli.Run("check", "--db", fleet.StoreUrl, tampered).Exit;
        long other = (await GetAsync(fleet, "/api/alerts?status=new&host=hv-02")).GetProperty("alerts")[0].GetProperty("seq").GetInt64();
        using HttpResponseMessage second = await fleet.Server.SendAsync(HttpMethod.Post, $"/api/alerts/{other}/normal", """{"confirm":true}""", TestServer.AdminToken);
        var (cleanExit, cleanOut, _) = Support.Cli.Run("check", "--db", fleet.StoreUrl, tampered);
        JsonElement dismissed = await GetAsync(fleet, "/api/alerts?status=dismissed");
        JsonElement changes = await GetAsync(fleet, "/api/changes?profile=default");

        Assert.Equal((HttpStatusCode.BadRequest, "$.confirm: expected true: \"this is normal\" changes the profile that every host checks against; confirm it"),
            (unconfirmed.StatusCode, await TestServer.ErrorAsync(unconfirmed)));
        Assert.Equal(HttpStatusCode.OK, normal.StatusCode);
        Assert.Equal(("default", "close socket", 1, 2), (outcome.GetProperty("profile").GetString(), outcome.GetProperty("window").GetString(),
            outcome.GetProperty("new_transitions").GetInt32(), outcome.GetProperty("dismissed").GetInt32()));
        Assert.Equal(1, stillAnomalous);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.True(cleanExit == 0, cleanOut);
        Assert.Equal(3, dismissed.GetProperty("total").GetInt64());
        Assert.All(dismissed.GetProperty("alerts").EnumerateArray(), a => Assert.NotNull(a.GetProperty("status_at").GetString()));
        JsonElement change = changes.GetProperty("changes")[1];
        Assert.Equal(("bob (admin token)", "normal", seq), (change.GetProperty("actor").GetString(), change.GetProperty("action").GetString(), change.GetProperty("alert_seq").GetInt64()));
        Assert.Equal("learnt 'close socket' into profile 'default' as normal (1 new) from alert " + seq + " of host hv-01: nginx 1.27 opens a socket",
            change.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Profiles_show_successor_arrays_matrix_convergence_and_a_seal_that_learning_breaks()
    {
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this);
        string key = fleet.Dir.PathOf("fleet.key");
        Assert.Equal(0, Support.Cli.Run("seal", "--db", fleet.StoreUrl, "--key", key).Exit);
        JsonElement before = (await GetAsync(fleet, "/api/profiles")).GetProperty("profiles")[0];
        await fleet.SendAlertAsync("hv-01");
        long seq = (await GetAsync(fleet, "/api/alerts")).GetProperty("alerts")[0].GetProperty("seq").GetInt64();
        (await fleet.Server.SendAsync(HttpMethod.Post, $"/api/alerts/{seq}/normal", """{"confirm":true}""", TestServer.AdminToken)).Dispose();

        JsonElement detail = await GetAsync(fleet, "/api/profiles/default");
        JsonElement after = detail.GetProperty("profile");

        Assert.Equal(("default", 2, "sealed"), (before.GetProperty("name").GetString(), before.GetProperty("window").GetInt32(), before.GetProperty("seal").GetProperty("state").GetString()));
        Assert.Equal("changed", after.GetProperty("seal").GetProperty("state").GetString());
        Assert.Equal("admin token", after.GetProperty("last_change").GetProperty("actor").GetString());
        Assert.Contains(detail.GetProperty("successors").EnumerateArray(),
            s => s.GetProperty("call").GetString() == "close" && s.GetProperty("next").EnumerateArray().Select(n => n.GetString()).SequenceEqual(["write", "socket"]));
        Assert.Equal(before.GetProperty("transitions").GetInt32() + 1, detail.GetProperty("matrix").GetProperty("cells").GetArrayLength());
        Assert.Equal([4, 1], detail.GetProperty("convergence").EnumerateArray().Select(c => c.GetProperty("new_transitions").GetInt32()));
    }

    [Fact]
    public async Task Without_a_fingerprint_store_the_profile_views_answer_503_with_the_reason()
    {
        using HttpResponseMessage response = await Server.SendAsync(HttpMethod.Get, "/api/profiles", bearer: TestServer.AdminToken);
        using HttpResponseMessage overview = await Server.SendAsync(HttpMethod.Get, "/api/overview", bearer: TestServer.AdminToken);

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "no fingerprint store: this server shows and changes no profiles"),
            (response.StatusCode, await TestServer.ErrorAsync(response)));
        Assert.Equal(HttpStatusCode.OK, overview.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await TestServer.JsonAsync(overview)).GetProperty("profiles_changed").ValueKind);
    }

    [Fact]
    public async Task The_overview_counts_hosts_by_state_and_the_last_24_hours_of_alerts_by_host_profile_and_hour()
    {
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this);
        await fleet.HeartbeatAsync("hv-01");
        await fleet.HeartbeatAsync("hv-02", pending: """{"server":4}""", lastError: "connection refused");
        await fleet.SendAlertAsync("hv-01");
        await fleet.SendAlertAsync("hv-01", profile: "nginx");
        await fleet.SendAlertAsync("hv-02");
        await fleet.SendAlertAsync("hv-02", time: DateTimeOffset.UtcNow.AddDays(-2));
        using (HttpResponseMessage revoke = await fleet.Server.SendAsync(HttpMethod.Post, "/api/hosts/hv-03/revoke", bearer: TestServer.AdminToken))
        {
            Assert.Equal(HttpStatusCode.NotFound, revoke.StatusCode);
        }

        JsonElement overview = await GetAsync(fleet, "/api/overview");

        JsonElement hosts = overview.GetProperty("hosts");
        Assert.Equal((1, 1, 0, 0), (hosts.GetProperty("ok").GetInt32(), hosts.GetProperty("lagging").GetInt32(), hosts.GetProperty("silent").GetInt32(), hosts.GetProperty("revoked").GetInt32()));
        JsonElement day = overview.GetProperty("alerts_24h");
        Assert.Equal(["hv-01=2", "hv-02=1"], Counts(day, "by_host"));
        Assert.Equal(["default=2", "nginx=1"], Counts(day, "by_profile"));
        Assert.Equal(3, day.GetProperty("by_hour").EnumerateArray().Sum(c => c.GetProperty("count").GetInt32()));
        Assert.Equal(4, overview.GetProperty("newest").GetArrayLength());
        Assert.Equal(4, overview.GetProperty("new_alerts").GetInt64());
        Assert.Equal("default", overview.GetProperty("profiles_changed")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Sign_in_sets_an_httponly_strict_cookie_and_a_change_made_with_it_needs_the_csrf_token()
    {
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this);
        await fleet.SendAlertAsync("hv-01");
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false };
        using var browser = new HttpClient(handler) { BaseAddress = fleet.Server.Address };

        using HttpResponseMessage anonymous = await browser.GetAsync("/alerts", Ct);
        using HttpResponseMessage wrong = await browser.PostAsync("/login", Form(("token", "nope"), ("name", "carol")), Ct);
        using HttpResponseMessage right = await browser.PostAsync("/login", Form(("token", TestServer.AdminToken), ("name", "carol")), Ct);
        string setCookie = right.Headers.GetValues("Set-Cookie").Single();
        string cookie = setCookie[..setCookie.IndexOf(';', StringComparison.Ordinal)];
        JsonElement session = await SendAsync(browser, HttpMethod.Get, "/api/session", cookie);
        string csrf = session.GetProperty("csrf").GetString()!;
        long seq = (await SendAsync(browser, HttpMethod.Get, "/api/alerts", cookie)).GetProperty("alerts")[0].GetProperty("seq").GetInt64();
        using HttpResponseMessage noCsrf = await RawAsync(browser, HttpMethod.Post, $"/api/alerts/{seq}/acknowledge", cookie, null, """{"note":"x"}""");
        using HttpResponseMessage otherOrigin = await RawAsync(browser, HttpMethod.Post, $"/api/alerts/{seq}/acknowledge", cookie, csrf, """{"note":"x"}""", "http://evil.example");
        using HttpResponseMessage withCsrf = await RawAsync(browser, HttpMethod.Post, $"/api/alerts/{seq}/acknowledge", cookie, csrf, """{"note":"x"}""");
        using HttpResponseMessage page = await RawAsync(browser, HttpMethod.Get, "/alerts", cookie, null, null);
        JsonElement acknowledged = (await GetAsync(fleet, "/api/alerts")).GetProperty("alerts")[0];

        Assert.Equal((HttpStatusCode.Redirect, "/login"), (anonymous.StatusCode, anonymous.Headers.Location?.ToString()));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("Wrong admin token.", await wrong.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.False(wrong.Headers.Contains("Set-Cookie"));
        Assert.Equal((HttpStatusCode.Redirect, "/"), (right.StatusCode, right.Headers.Location?.ToString()));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("carol", session.GetProperty("user").GetString());
        Assert.Equal((HttpStatusCode.Forbidden, "missing or wrong X-CSRF-Token: reload the console and try again"), (noCsrf.StatusCode, await TestServer.ErrorAsync(noCsrf)));
        Assert.Equal(HttpStatusCode.Forbidden, otherOrigin.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withCsrf.StatusCode);
        Assert.Equal("carol", acknowledged.GetProperty("status_by").GetString());
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        string csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_forged_or_tampered_session_cookie_is_refused()
    {
        using ConsoleFleet fleet = await ConsoleFleet.StartAsync(this);
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false };
        using var browser = new HttpClient(handler) { BaseAddress = fleet.Server.Address };
        using HttpResponseMessage right = await browser.PostAsync("/login", Form(("token", TestServer.AdminToken), ("name", "carol")), Ct);
        string setCookie = right.Headers.GetValues("Set-Cookie").Single();
        string cookie = setCookie[..setCookie.IndexOf(';', StringComparison.Ordinal)];
        string tampered = cookie[..^3] + (cookie[^3] == 'A' ? "B" : "A") + cookie[^2..];

        using HttpResponseMessage forged = await RawAsync(browser, HttpMethod.Get, "/api/alerts", "sysprint_session=djF8OTk5OTk5OTk5OXxhYnxZUQ.AAAA", null, null);
        using HttpResponseMessage changed = await RawAsync(browser, HttpMethod.Get, "/api/alerts", tampered, null, null);

        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, changed.StatusCode);
    }

    private static string[] Vms(JsonElement page) => [.. page.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("vm").GetString()!)];

    private static string[] Counts(JsonElement day, string name) =>
        [.. day.GetProperty(name).EnumerateArray().Select(c => $"{c.GetProperty("key").GetString()}={c.GetProperty("count").GetInt64()}")];

    private static async Task<JsonElement> GetAsync(ConsoleFleet fleet, string path)
    {
        using HttpResponseMessage response = await fleet.Server.SendAsync(HttpMethod.Get, path, bearer: TestServer.AdminToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        return await TestServer.JsonAsync(response);
    }

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));

    private static async Task<JsonElement> SendAsync(HttpClient browser, HttpMethod method, string path, string cookie)
    {
        using HttpResponseMessage response = await RawAsync(browser, method, path, cookie, null, null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await TestServer.JsonAsync(response);
    }

    private static async Task<HttpResponseMessage> RawAsync(HttpClient browser, HttpMethod method, string path, string cookie, string? csrf, string? json, string? origin = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Cookie", cookie);
        if (csrf is not null)
        {
            request.Headers.Add("X-CSRF-Token", csrf);
        }

        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        return await browser.SendAsync(request, Ct);
    }
}

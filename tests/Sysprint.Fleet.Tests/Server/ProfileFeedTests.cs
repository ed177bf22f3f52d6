using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Sysprint.Diagnostics;
using Sysprint.Fleet.Tests.Support;
using Sysprint.Integrity;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Storage;

namespace Sysprint.Fleet.Tests.Server;

/// <summary>
/// Fingerprints flow down: <c>GET /api/agent/profiles</c> on a real server over a real PostgreSQL,
/// the central changes made by the real <c>train</c> and <c>profile</c> commands.
/// </summary>
public sealed class ProfileFeedTests : FleetFixture
{
    private readonly TempDir _dir = new("sysprint-feed-");

    public override async ValueTask DisposeAsync()
    {
        _dir.Dispose();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task A_host_receives_every_profile_with_an_etag_and_a_central_change_wakes_its_long_poll()
    {
        Assert.Equal(0, Support.Cli.Run("train", "--db", Db.Url, _dir.Write("a.strace", Logs.NormalLines(100, 3))).Exit);
        string credential = await Server.EnrollAsync("hv-1");

        using HttpResponseMessage first = await GetAsync(Server, credential, null, wait: 0);
        JsonElement firstBody = await TestServer.JsonAsync(first);
        string etag = first.Headers.ETag!.Tag;
        Task<HttpResponseMessage> poll = GetAsync(Server, credential, etag, wait: 50);
        Assert.Equal(0, Support.Cli.Run("train", "--db", Db.Url, _dir.Write("b.strace", Logs.NormalLines(100, 2) + Logs.Injection(100))).Exit);
        var changed = Stopwatch.StartNew();
        using HttpResponseMessage woken = await poll;
        changed.Stop();
        JsonElement wokenBody = await TestServer.JsonAsync(woken);
        TestContext.Current.SendDiagnosticMessage($"the long-poll answered {changed.ElapsedMilliseconds} ms after train returned");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal($"\"{firstBody.GetProperty("revision").GetInt64()}\"", etag);
        Assert.Equal("default", firstBody.GetProperty("group").GetString());
        JsonElement profile = Assert.Single(firstBody.GetProperty("profiles").EnumerateArray());
        Assert.Equal(("sysprint-export 1", "default", 2), (profile.GetProperty("format").GetString(), profile.GetProperty("profile").GetString(), profile.GetProperty("window").GetInt32()));
        Assert.Equal(HttpStatusCode.OK, woken.StatusCode);
        Assert.True(wokenBody.GetProperty("revision").GetInt64() > firstBody.GetProperty("revision").GetInt64());
        Assert.Equal($"\"{wokenBody.GetProperty("revision").GetInt64()}\"", woken.Headers.ETag!.Tag);
        Assert.Contains("41", wokenBody.GetProperty("profiles")[0].GetProperty("names").EnumerateObject().Select(n => n.Name));
        // Woken by the change (PostgreSQL's notification), long before the poll's own 50 s.
        Assert.InRange(changed.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(25));
    }

    [Fact]
    public async Task A_host_that_has_the_newest_gets_304_after_its_wait_and_one_that_was_away_gets_the_newest_at_once()
    {
        Assert.Equal(0, Support.Cli.Run("train", "--db", Db.Url, _dir.Write("a.strace", Logs.NormalLines(100, 3))).Exit);
        string credential = await Server.EnrollAsync("hv-1");
        using HttpResponseMessage now = await GetAsync(Server, credential, null, wait: 0);
        string etag = now.Headers.ETag!.Tag;
        Assert.Equal(0, Support.Cli.Run("profile", "--db", Db.Url, "--detector", "stide", "--threshold", "1").Exit);
        TestServer second = await StartServerAsync();

        using HttpResponseMessage away = await GetAsync(second, credential, etag, wait: 30);
        string newest = away.Headers.ETag!.Tag;
        using HttpResponseMessage same = await GetAsync(Server, credential, newest, wait: 1);

        Assert.Equal(HttpStatusCode.OK, away.StatusCode);
        Assert.NotEqual(etag, newest);
        Assert.Equal(("stide", 1.0), ((await TestServer.JsonAsync(away)).GetProperty("profiles")[0].GetProperty("detector").GetString(),
            (await TestServer.JsonAsync(away)).GetProperty("profiles")[0].GetProperty("threshold").GetDouble()));
        Assert.Equal(HttpStatusCode.NotModified, same.StatusCode);
        Assert.Equal(newest, same.Headers.ETag!.Tag);
    }

    [Fact]
    public async Task Served_with_the_fleet_key_every_profile_carries_a_fresh_seal_that_its_public_half_verifies()
    {
        string key = _dir.PathOf("fleet.key");
        using ECDsa fleetKey = SealKeys.LoadOrCreatePrivate(key, out _);
        TestServer sealing = await StartServerAsync(o => o with { SealKey = fleetKey });
        Assert.Equal(0, Support.Cli.Run("train", "--db", Db.Url, _dir.Write("a.strace", Logs.NormalLines(100, 3))).Exit);
        string credential = await sealing.EnrollAsync("hv-1");

        using HttpResponseMessage response = await GetAsync(sealing, credential, null, wait: 0);
        JsonElement profile = (await TestServer.JsonAsync(response)).GetProperty("profiles")[0];
        Seal? seal = Seal.FromJson(profile.GetProperty("seal").GetRawText());
        SyscallTable table = Sysprint.Fleet.Tests.Server.ProfileFeedTests.Table(profile);
        var fingerprint = new Fingerprint(2);
        foreach (JsonElement gram in profile.GetProperty("grams").EnumerateArray())
        {
            fingerprint.Add(Fingerprint.ParseGram(gram.GetString()!));
        }

        SealVerifier.Load(key + ".pub").Verify(seal, "default", fingerprint, table, "the feed");
        fingerprint.Add([41, 3]);
        var refused = Assert.Throws<SysprintException>(() => SealVerifier.Load(key + ".pub").Verify(seal, "default", fingerprint, table, "the feed"));
        Assert.Equal(ErrorKind.Untrusted, refused.Kind);
    }

    [Fact]
    public async Task Without_a_credential_the_feed_is_refused_and_a_bad_wait_is_a_bad_request()
    {
        string credential = await Server.EnrollAsync("hv-1");

        using HttpResponseMessage anonymous = await GetAsync(Server, null, null, wait: 0);
        using HttpResponseMessage tooLong = await GetAsync(Server, credential, null, wait: 3600);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal("wait: expected whole seconds from 0 to 60, found '3600'", await TestServer.ErrorAsync(tooLong));
    }

    [Fact]
    public async Task A_host_receives_only_its_groups_profiles_and_a_new_assignment_wakes_its_long_poll()
    {
        foreach (string profile in new[] { "default", "web", "db" })
        {
            Assert.Equal(0, Support.Cli.Run("train", "--db", Db.Url, "--profile", profile, _dir.Write(profile + ".strace", Logs.NormalLines(100, 3))).Exit);
        }

        var web = Support.Cli.Run("profile", "--db", Db.Url, "--profile", "web", "--groups", "web");
        using HttpResponseMessage db = await Server.SendAsync(HttpMethod.Post, "/api/profiles/db/groups", """{"groups":["db"]}""", TestServer.AdminToken);
        string hv1 = await Server.EnrollAsync("hv-1", await Server.EnrollSecretAsync("web"));
        string db1 = await Server.EnrollAsync("db-1", await Server.EnrollSecretAsync("db"));
        using HttpResponseMessage hv1First = await GetAsync(Server, hv1, null, wait: 0);
        using HttpResponseMessage db1First = await GetAsync(Server, db1, null, wait: 0);
        Task<HttpResponseMessage> poll = GetAsync(Server, hv1, hv1First.Headers.ETag!.Tag, wait: 50);
        var both = Support.Cli.Run("profile", "--db", Db.Url, "--profile", "db", "--groups", " web, db,web");
        using HttpResponseMessage woken = await poll;
        var none = Support.Cli.Run("profile", "--db", Db.Url, "--groups", "none");
        using HttpResponseMessage hv1Last = await GetAsync(Server, hv1, woken.Headers.ETag!.Tag, wait: 50);
        var shown = Support.Cli.Run("profile", "--db", Db.Url, "--profile", "db");
        var all = Support.Cli.Run("profile", "--db", Db.Url, "--profile", "web", "--groups", "all");
        using HttpResponseMessage listed = await (await WithProfilesAsync()).SendAsync(HttpMethod.Get, "/api/profiles", null, TestServer.AdminToken);

        Assert.Equal((0, "profile 'web' goes to group 'web'; agents of other groups drop the copy they had from the fleet\n", ""), web);
        Assert.Equal(HttpStatusCode.OK, db.StatusCode);
        Assert.Equal("""{"profile":"db","groups":["db"]}""", (await TestServer.JsonAsync(db)).GetRawText());
        Assert.Equal(["default", "web"], await NamesAsync(hv1First));
        Assert.Equal(["db", "default"], await NamesAsync(db1First));
        Assert.Equal((0, "profile 'db' goes to groups 'db', 'web'; agents of other groups drop the copy they had from the fleet\n"), (both.Exit, both.Out));
        Assert.Equal(HttpStatusCode.OK, woken.StatusCode);
        Assert.Equal(["db", "default", "web"], await NamesAsync(woken));
        Assert.Equal((0, "profile 'default' goes to no group; agents of other groups drop the copy they had from the fleet\n"), (none.Exit, none.Out));
        Assert.Equal(["db", "web"], await NamesAsync(hv1Last));
        Assert.EndsWith("\nprofile 'db' goes to groups 'db', 'web'\n", shown.Out, StringComparison.Ordinal);
        Assert.Equal((0, "profile 'web' goes to every group\n"), (all.Exit, all.Out));
        Assert.Equal(["db,web", "", "null"], (await TestServer.JsonAsync(listed)).GetProperty("profiles").EnumerateArray()
            .Select(p => p.GetProperty("groups") is { ValueKind: JsonValueKind.Array } g ? string.Join(',', g.EnumerateArray().Select(x => x.GetString())) : "null"));
    }

    [Fact]
    public async Task A_central_import_replace_is_one_change_the_feed_sends_whole()
    {
        Assert.Equal(0, Support.Cli.Run("train", "--db", Db.Url, _dir.Write("a.strace", Logs.NormalLines(100, 3)), _dir.Write("b.strace", Logs.NormalLines(200, 2))).Exit);
        Assert.Equal(0, Support.Cli.Run("seal", "--db", Db.Url, "--key", _dir.PathOf("fleet.key")).Exit);
        Assert.Equal(0, Support.Cli.Run("export", "--db", Db.Url, "-o", _dir.PathOf("default.export")).Exit);
        Assert.Equal(0, Support.Cli.Run("train", "--db", Db.Url, _dir.Write("c.strace", Logs.NormalLines(100, 2) + Logs.Injection(100))).Exit);
        string credential = await Server.EnrollAsync("hv-1");
        using HttpResponseMessage before = await GetAsync(Server, credential, null, wait: 0);
        long revision = (await TestServer.JsonAsync(before)).GetProperty("revision").GetInt64();

        var import = Support.Cli.Run("import", "--db", Db.Url, "--replace", _dir.PathOf("default.export"));
        using HttpResponseMessage after = await GetAsync(Server, credential, before.Headers.ETag!.Tag, wait: 50);

        Assert.True(import.Exit == 0, import.Error);
        JsonElement body = await TestServer.JsonAsync(after);
        // Delete, create, two logs and the seal were one transaction: one revision, never a profile missing or half written.
        Assert.Equal(revision + 1, body.GetProperty("revision").GetInt64());
        using JsonDocument exported = JsonDocument.Parse(File.ReadAllText(_dir.PathOf("default.export")));
        JsonElement profile = Assert.Single(body.GetProperty("profiles").EnumerateArray());
        Assert.Equal(exported.RootElement.GetProperty("grams").EnumerateArray().Select(g => g.GetString()), profile.GetProperty("grams").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal(2, profile.GetProperty("logs").GetArrayLength());
        Assert.Equal(exported.RootElement.GetProperty("seal").GetProperty("signature").GetString(), profile.GetProperty("seal").GetProperty("signature").GetString());
    }

    [Fact]
    public async Task Assigning_groups_needs_the_admin_token_a_known_profile_and_group_names()
    {
        Assert.Equal(0, Support.Cli.Run("train", "--db", Db.Url, _dir.Write("a.strace", Logs.NormalLines(100, 3))).Exit);

        using HttpResponseMessage anonymous = await Server.SendAsync(HttpMethod.Post, "/api/profiles/default/groups", """{"groups":["web"]}""");
        using HttpResponseMessage unknown = await Server.SendAsync(HttpMethod.Post, "/api/profiles/nope/groups", """{"groups":["web"]}""", TestServer.AdminToken);
        using HttpResponseMessage reserved = await Server.SendAsync(HttpMethod.Post, "/api/profiles/default/groups", """{"groups":["all"]}""", TestServer.AdminToken);
        using HttpResponseMessage notAList = await Server.SendAsync(HttpMethod.Post, "/api/profiles/default/groups", """{"groups":"web"}""", TestServer.AdminToken);
        using HttpResponseMessage notAName = await Server.SendAsync(HttpMethod.Post, "/api/profiles/default/groups", """{"groups":[7]}""", TestServer.AdminToken);
        var cliUnknown = Support.Cli.Run("profile", "--db", Db.Url, "--profile", "nope", "--groups", "web");
        var cliBad = Support.Cli.Run("profile", "--db", Db.Url, "--groups", "web,,db");
        var cliSqlite = Support.Cli.Run("profile", "--db", _dir.PathOf("local.db"), "--groups", "web");
        var cliMixed = Support.Cli.Run("profile", "--db", Db.Url, "--groups", "web", "--threshold", "1");
        using HttpResponseMessage listed = await (await WithProfilesAsync()).SendAsync(HttpMethod.Get, "/api/profiles", null, TestServer.AdminToken);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.EndsWith(": no profile 'nope' (profiles: default)", await TestServer.ErrorAsync(unknown), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, reserved.StatusCode);
        Assert.Equal("group 'all': expected 'all', 'none', or group names (letters, digits, '.', '-' and '_', at most 253) separated by commas",
            await TestServer.ErrorAsync(reserved));
        Assert.Equal("$.groups: expected an array of group names, or null for every group", await TestServer.ErrorAsync(notAList));
        Assert.Equal("$.groups[0]: expected a group name, found the number 7", await TestServer.ErrorAsync(notAName));
        Assert.Equal(66, cliUnknown.Exit);
        Assert.EndsWith(": no profile 'nope' (profiles: default)\n", cliUnknown.Error, StringComparison.Ordinal);
        Assert.Equal((64, "sysprint: error: group '': expected 'all', 'none', or group names (letters, digits, '.', '-' and '_', at most 253) separated by commas\n"),
            (cliBad.Exit, cliBad.Error));
        Assert.Equal(64, cliSqlite.Exit);
        Assert.StartsWith("sysprint: error: profile --groups needs the fleet's PostgreSQL store", cliSqlite.Error, StringComparison.Ordinal);
        Assert.Equal((64, "sysprint: error: --groups takes no --learn-from-fleet, --delete, --detector, --threshold or --false-alarms\n"), (cliMixed.Exit, cliMixed.Error));
        Assert.Equal(JsonValueKind.Null, (await TestServer.JsonAsync(listed)).GetProperty("profiles")[0].GetProperty("groups").ValueKind);
    }

    [Fact]
    public async Task A_learning_window_opens_only_for_a_group_that_receives_its_profile()
    {
        Assert.Equal(0, Support.Cli.Run("train", "--db", Db.Url, _dir.Write("a.strace", Logs.NormalLines(100, 3))).Exit);
        Assert.Equal(0, Support.Cli.Run("profile", "--db", Db.Url, "--groups", "web").Exit);

        var refused = Support.Cli.Run("profile", "--db", Db.Url, "--learn-from-fleet", "--group", "db", "--for", "1h");
        using HttpResponseMessage refusedApi = await Server.SendAsync(HttpMethod.Post, "/api/learning-windows", """{"group":"db","profile":"default","duration_s":600}""",
            TestServer.AdminToken);
        var opened = Support.Cli.Run("profile", "--db", Db.Url, "--learn-from-fleet", "--group", "web", "--for", "1h");

        Assert.Equal((64, "sysprint: error: profile 'default' goes to group 'web', not to group 'db': its agents do not check against it (assign it first: profile --groups)\n"),
            (refused.Exit, refused.Error));
        Assert.Equal(HttpStatusCode.Conflict, refusedApi.StatusCode);
        Assert.True(opened.Exit == 0, opened.Error);
    }

    /// <summary>A server whose console shows the profiles (GET /api/profiles) of the fleet's store.</summary>
    private Task<TestServer> WithProfilesAsync() =>
        StartServerAsync(o => o with { OpenFingerprints = () => StoreBackends.Default.Open(StoreAddress.Parse(Db.Url), new StoreOpenOptions()) });

    private static async Task<string[]> NamesAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await TestServer.JsonAsync(response)).GetProperty("profiles").EnumerateArray().Select(p => p.GetProperty("profile").GetString()!).Order(StringComparer.Ordinal)];
    }

    private static SyscallTable Table(JsonElement profile)
    {
        var table = new SyscallTable(profile.GetProperty("mapping").GetString()!);
        foreach (JsonProperty name in profile.GetProperty("names").EnumerateObject())
        {
            table.Add(int.Parse(name.Name, System.Globalization.CultureInfo.InvariantCulture), name.Value.GetString()!);
        }

        return table;
    }

    private static async Task<HttpResponseMessage> GetAsync(TestServer server, string? credential, string? etag, int wait)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/agent/profiles?wait={wait}");
        if (credential is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        }

        if (etag is not null)
        {
            request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(etag));
        }

        return await server.Http.SendAsync(request, TestContext.Current.CancellationToken);
    }
}

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

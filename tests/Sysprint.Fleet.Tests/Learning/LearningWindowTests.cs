using System.Net;
using System.Text.Json;
using Sysprint.App.Fleet;
using Sysprint.Fleet.Tests.Support;
using Sysprint.Mapping;
using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.Fleet.Tests.Learning;

/// <summary>
/// Learning across the fleet (issue 13 item 7) on the server's side: a window opened with
/// <c>sysprint profile --learn-from-fleet</c>, hosts of its group uploading what real logs taught
/// (<see cref="LogLesson"/>, as the agent does), each log staged once, hosts of another group and
/// uploads after the close refused, the logs learnt into the profile once when the window closes,
/// by the CLI or by the serve instances.
/// </summary>
public sealed class LearningWindowTests : FleetFixture
{
    private const string Normal = HostnameLogs.Normal;

    /// <summary>A new release: it also opens a socket after reading (read -> socket, socket -> close).</summary>
    private static string WithSocket => HostnameLogs.SocketAfterRead(200, exited: true);

    /// <summary>Another new behaviour: getpid after close.</summary>
    private static string WithGetpid => HostnameLogs.GetpidAfterClose(300);

    private readonly TempDir _dir = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Timeless(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "TIME");

    [Fact]
    public async Task Hosts_of_the_group_upload_during_the_window_each_log_counts_once_and_the_close_learns_them_into_the_profile()
    {
        Assert.Equal(0, Support.Cli.Run("train", "--db", Db.Url, _dir.Write("central/normal.strace", Normal)).Exit);
        string web = await Server.EnrollSecretAsync("web");
        string hv1 = await Server.EnrollAsync("hv-1", web);
        string hv2 = await Server.EnrollAsync("hv-2", web);
        string db3 = await Server.EnrollAsync("db-3", await Server.EnrollSecretAsync("db"));

        var opened = Support.Cli.Run("profile", "--db", Db.Url, "--learn-from-fleet", "--group", "web", "--for", "10m");
        var again = Support.Cli.Run("profile", "--db", Db.Url, "--learn-from-fleet", "--group", "web", "--for", "10m");

        Assert.Equal(0, opened.Exit);
        Assert.StartsWith("learning window #1 open for group 'web', profile 'default', until ", opened.Out, StringComparison.Ordinal);
        Assert.Equal(64, again.Exit);
        Assert.StartsWith("sysprint: error: group 'web' already has learning window #1 for profile 'default' (until ", again.Error, StringComparison.Ordinal);
        Assert.Equal(new long[] { 1 }, await LearningAsync(hv1));
        Assert.Empty(await LearningAsync(db3));

        string socketLog = _dir.Write("hv-1/vm1/run1.strace", WithSocket);
        string sameAgain = _dir.Write("hv-2/vm7/copy.strace", WithSocket);
        string getpidLog = _dir.Write("hv-2/vm7/run2.strace", WithGetpid);
        using HttpResponseMessage first = await UploadAsync(hv1, 1, socketLog);
        using HttpResponseMessage repeated = await UploadAsync(hv1, 1, socketLog);
        using HttpResponseMessage byAnother = await UploadAsync(hv2, 1, sameAgain);
        using HttpResponseMessage second = await UploadAsync(hv2, 1, getpidLog);
        using HttpResponseMessage otherGroup = await UploadAsync(db3, 1, getpidLog);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.True((await TestServer.JsonAsync(first)).GetProperty("stored").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, repeated.StatusCode);
        Assert.False((await TestServer.JsonAsync(repeated)).GetProperty("stored").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, byAnother.StatusCode);
        Assert.False((await TestServer.JsonAsync(byAnother)).GetProperty("stored").GetBoolean());
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, otherGroup.StatusCode);
        Assert.Equal("learning window #1 is for group 'web'; host 'db-3' is in group 'db'", (await TestServer.JsonAsync(otherGroup)).GetProperty("error").GetString());
        var status = Support.Cli.Run("profile", "--db", Db.Url, "--learn-from-fleet", "--status");
        Assert.Equal(0, status.Exit);
        Assert.Equal("#1  group 'web'  profile 'default'  open until TIME: 2 logs from 2 hosts so far\n", Timeless(status.Out));
        Assert.False(Knows(["read", "socket"]));

        var closed = Support.Cli.Run("profile", "--db", Db.Url, "--learn-from-fleet", "--group", "web", "--close");

        Assert.Equal(0, closed.Exit);
        Assert.Equal("#1  group 'web'  profile 'default'  learnt TIME: 2 logs from 2 hosts; 2 learnt, +3 transitions\n", Timeless(closed.Out));
        Assert.True(Knows(["read", "socket"]));
        Assert.True(Knows(["socket", "close"]));
        Assert.True(Knows(["close", "getpid"]));
        using (IFingerprintStore store = Open())
        {
            ProfileInfo profile = store.FindProfile("default")!;
            Assert.Equal(3, store.ListLearntLogs(profile.Id).Count);
            Assert.Equal(3, store.ListLogWindows(profile.Id).Count);
            Assert.Contains(store.ListLearntLogs(profile.Id), l => l.Path == $"fleet window #1: hv-1 vm vm1 {socketLog}");
        }

        using HttpResponseMessage late = await UploadAsync(hv1, 1, _dir.Write("hv-1/vm1/run3.strace", WithGetpid.Replace("300", "301", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.StartsWith("learning window #1 closed at ", (await TestServer.JsonAsync(late)).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(await LearningAsync(hv1));
        Assert.Equal(0, Support.Cli.Run("profile", "--db", Db.Url, "--learn-from-fleet", "--group", "web", "--for", "1h").Exit);
    }

    [Fact]
    public async Task A_window_closed_through_the_admin_api_is_learnt_once_by_the_serve_instances()
    {
        Assert.Equal(0, Support.Cli.Run("train", "--db", Db.Url, _dir.Write("central/normal.strace", Normal)).Exit);
        TestServer other = await StartServerAsync();
        string hv1 = await Server.EnrollAsync("hv-1", await Server.EnrollSecretAsync("web"));
        using HttpResponseMessage open = await Server.SendAsync(HttpMethod.Post, "/api/learning-windows", """{"group":"web","profile":"default","duration_s":600}""", TestServer.AdminToken);
        Assert.Equal(HttpStatusCode.Created, open.StatusCode);
        long id = (await TestServer.JsonAsync(open)).GetProperty("id").GetInt64();
        using HttpResponseMessage a = await UploadAsync(hv1, id, _dir.Write("hv-1/vm1/a.strace", WithSocket));
        using HttpResponseMessage b = await UploadAsync(hv1, id, _dir.Write("hv-1/vm1/b.strace", WithGetpid), other);
        Assert.Equal(HttpStatusCode.Created, a.StatusCode);
        Assert.Equal(HttpStatusCode.Created, b.StatusCode);

        using HttpResponseMessage close = await other.SendAsync(HttpMethod.Post, $"/api/learning-windows/{id}/close", "{}", TestServer.AdminToken);

        Assert.Equal(HttpStatusCode.OK, close.StatusCode);
        JsonElement learnt = default;
        await Eventually.TrueAsync(async () =>
        {
            using HttpResponseMessage list = await Server.SendAsync(HttpMethod.Get, "/api/learning-windows", bearer: TestServer.AdminToken);
            learnt = (await TestServer.JsonAsync(list)).GetProperty("learning_windows")[0];
            return learnt.GetProperty("state").GetString() == "learnt";
        }, "the window learnt by one of the two serve instances");
        Assert.Equal(2, learnt.GetProperty("logs").GetInt32());
        Assert.Equal(2, learnt.GetProperty("learnt_logs").GetInt32());
        Assert.Equal(3, learnt.GetProperty("new_transitions").GetInt32());
        Assert.True(Knows(["read", "socket"]));
        Assert.True(Knows(["close", "getpid"]));
    }

    [Theory]
    [InlineData("""{"names":{"41":"read"}}""", """$.names["41"]: 'read' is number 0 in the fleet's mapping (x86_64), not 41""")]
    [InlineData("""{"names":{"0":"no_such_call"}}""", """$.names["0"]: 'no_such_call' is unknown in the fleet's mapping (x86_64), not 0""")]
    [InlineData("""{"mapping":"arm64"}""", "$.mapping: the fleet's store maps calls with 'x86_64', not 'arm64'")]
    [InlineData("""{"sha256":"ABC"}""", "$.sha256: expected 64 lowercase hexadecimal digits, found 'ABC'")]
    [InlineData("""{"grams":["0 0 0"]}""", "$.grams[0]: expected 1 to 2 calls (profile 'default'), each one in $.names")]
    [InlineData("""{"grams":["0 999"]}""", "$.grams[0]: expected 1 to 2 calls (profile 'default'), each one in $.names")]
    [InlineData("""{"windows":"AAAA"}""", "$.windows: not window counts: stored windows of an unknown format (version 0)")]
    [InlineData("""{"profile":"other"}""", "$.profile: learning window #1 learns profile 'default', not 'other'")]
    public async Task A_malformed_upload_is_refused_naming_what_is_wrong(string change, string error)
    {
        Assert.Equal(0, Support.Cli.Run("train", "--db", Db.Url, _dir.Write("central/normal.strace", Normal)).Exit);
        string hv1 = await Server.EnrollAsync("hv-1", await Server.EnrollSecretAsync("web"));
        Assert.Equal(0, Support.Cli.Run("profile", "--db", Db.Url, "--learn-from-fleet", "--group", "web").Exit);
        var body = System.Text.Json.Nodes.JsonNode.Parse(Lesson(1, _dir.Write("hv-1/vm1/a.strace", WithSocket)))!.AsObject();
        foreach (var (name, value) in System.Text.Json.Nodes.JsonNode.Parse(change)!.AsObject())
        {
            body[name] = value?.DeepClone();
        }

        using HttpResponseMessage response = await Server.SendAsync(HttpMethod.Post, "/api/agent/learn", body.ToJsonString(), hv1);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(error, (await TestServer.JsonAsync(response)).GetProperty("error").GetString());
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _dir.Dispose();
    }

    private static string Lesson(long window, string log)
    {
        LogLesson lesson = LogLesson.FromLog(log, Path.GetFileName(Path.GetDirectoryName(log)!), SyscallTable.Builtin("x86_64"), new LogReadOptions(), 2);
        return Sysprint.Fleet.FleetJson.ToText(json => lesson.Write(json, window, "default"));
    }

    private async Task<HttpResponseMessage> UploadAsync(string credential, long window, string log, TestServer? server = null) =>
        await (server ?? Server).SendAsync(HttpMethod.Post, "/api/agent/learn", Lesson(window, log), credential);

    /// <summary>The ids of the learning windows the host's profile feed names.</summary>
    private async Task<long[]> LearningAsync(string credential)
    {
        using HttpResponseMessage response = await Server.SendAsync(HttpMethod.Get, "/api/agent/profiles", bearer: credential);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await TestServer.JsonAsync(response)).GetProperty("learning").EnumerateArray().Select(w => w.GetProperty("id").GetInt64())];
    }

    private IFingerprintStore Open() => new Sysprint.Storage.Postgres.PostgresBackend().Open(StoreAddress.Parse(Db.Url), new StoreOpenOptions());

    private bool Knows(string[] calls)
    {
        using IFingerprintStore store = Open();
        SyscallTable table = store.LoadMapping()!;
        int[] gram = [.. calls.Select(c => table.TryGetNumber(c, out int n) ? n : throw new ArgumentException(c))];
        return store.LoadFingerprint(store.FindProfile("default")!).Contains(gram);
    }
}

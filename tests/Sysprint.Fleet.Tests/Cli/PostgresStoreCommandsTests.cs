using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;
using Sysprint.Cli;
using Sysprint.Fleet.Tests.Server;
using Sysprint.Fleet.Tests.Support;
using Sysprint.Model;
using Sysprint.Storage;
using Sysprint.Storage.Postgres;

namespace Sysprint.Fleet.Tests.Cli;

/// <summary>
/// The store commands (<c>train</c>, <c>check</c>, <c>profile</c>, <c>seal</c>, <c>export</c>,
/// <c>import</c>, <c>alerts</c>, <c>stats</c>) on a PostgreSQL store, with a real server taking an
/// agent's alerts into the same history.
/// </summary>
public sealed class PostgresStoreCommandsTests : FleetFixture
{
    private readonly TempDir _dir = new("sysprint-pgstore-");

    public override async ValueTask DisposeAsync()
    {
        _dir.Dispose();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task Train_check_profile_seal_export_import_alerts_and_stats_work_on_postgres_and_alerts_are_one_history()
    {
        string normal = _dir.Write("normal.strace", Logs.NormalLines(100, 5));
        string other = _dir.Write("other.strace", Logs.NormalLines(200, 3) + "200   write(1, \"x\", 1) = 1\n200   close(1) = 0\n");
        string injected = _dir.Write("injected.strace", Logs.NormalLines(300, 2) + Logs.Injection(300));
        string key = _dir.PathOf("fleet.key");

        var train = Support.Cli.Run("train", "--db", Db.Url, normal, other);
        var again = Support.Cli.Run("train", "--db", Db.Url, normal);
        var clean = Support.Cli.Run("check", "--db", Db.Url, "--vm", "web-01", normal);
        var anomalous = Support.Cli.Run("check", "--db", Db.Url, "--vm", "web-02", "--json", injected);
        var profile = Support.Cli.Run("profile", "--db", Db.Url, "--detector", "stide", "--threshold", "0");
        var seal = Support.Cli.Run("seal", "--db", Db.Url, "--key", key);
        var trusted = Support.Cli.Run("check", "--db", Db.Url, "--trust", key + ".pub", normal);
        var export = Support.Cli.Run("export", "--db", Db.Url, "-o", _dir.PathOf("default.export"));
        await using TestDatabase second = await TestDatabase.CreateAsync();
        var import = Support.Cli.Run("import", "--db", second.Url, "--trust", key + ".pub", _dir.PathOf("default.export"));
        var imported = Support.Cli.Run("check", "--db", second.Url, "--trust", key + ".pub", injected);
        string credential = await Server.EnrollAsync("host-a");
        (await Server.SendAsync(HttpMethod.Post, "/api/agent/alerts", AgentApiTests.Batch("host-a", 1), credential)).Dispose();
        var alerts = Support.Cli.Run("alerts", "--db", Db.Url, "--json");
        var stats = Support.Cli.Run("stats", "--db", Db.Url);

        Assert.Equal((0, ""), (train.Exit, train.Error));
        Assert.Contains("2 logs: 2 learnt, 0 already learnt", train.Out, StringComparison.Ordinal);
        Assert.Contains("1 log: 0 learnt, 1 already learnt", again.Out, StringComparison.Ordinal);
        Assert.Equal((0, ""), (clean.Exit, clean.Error));
        Assert.Equal(1, anomalous.Exit);
        Assert.Equal("anomalous", JsonDocument.Parse(anomalous.Out).RootElement.GetProperty("verdict").GetString());
        Assert.Equal((0, ""), (profile.Exit, profile.Error));
        Assert.Equal(0, seal.Exit);
        Assert.Equal((0, ""), (trusted.Exit, trusted.Error));
        Assert.Equal((0, ""), (export.Exit, export.Error));
        Assert.Equal((0, ""), (import.Exit, import.Error));
        Assert.Equal(1, imported.Exit);
        JsonElement[] history = [.. alerts.Out.TrimEnd('\n').Split('\n').Select(l => JsonDocument.Parse(l).RootElement.Clone())];
        Assert.Equal([$"check {Environment.MachineName} web-02", "watch host-a web-01"],
            history.Select(a => $"{a.GetProperty("source").GetString()} {a.GetProperty("host").GetString()} {a.GetProperty("vm").GetString()}").Order(StringComparer.Ordinal));
        Assert.Contains($"store    {new PostgresBackend().Open(StoreAddress.Parse(Db.Url), new StoreOpenOptions()).Location} (schema {PostgresFingerprintStore.CurrentSchemaVersion})",
            stats.Out, StringComparison.Ordinal);
        Assert.Contains("checks   3 (1 anomalous), alerts 2", stats.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_change_behind_the_seal_is_refused_on_postgres_as_on_sqlite()
    {
        string normal = _dir.Write("normal.strace", Logs.NormalLines(100, 5));
        string key = _dir.PathOf("fleet.key");
        Support.Cli.Run("train", "--db", Db.Url, normal);
        Support.Cli.Run("seal", "--db", Db.Url, "--key", key);
        using (IFingerprintStore store = new PostgresBackend().Open(StoreAddress.Parse(Db.Url), new StoreOpenOptions()))
        {
            ProfileInfo profile = store.FindProfile(ProfileInfo.DefaultName)!;
            store.LearnLog(profile, new LearntLog("/forged", 1, "forged", 1, 1, 1, DateTimeOffset.UtcNow), [[41, 42]], []);
        }

        var (exit, _, error) = Support.Cli.Run("check", "--db", Db.Url, "--trust", key + ".pub", normal);

        Assert.Equal(ExitCodes.Untrusted, exit);
        Assert.Contains("seal", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Learning_waits_for_another_writer_and_past_the_busy_timeout_says_the_store_is_locked()
    {
        string normal = _dir.Write("normal.strace", Logs.NormalLines(100, 5));
        Assert.Equal(0, Support.Cli.Run("train", "--db", Db.Url, normal).Exit);
        string other = _dir.Write("other.strace", Logs.NormalLines(100, 2) + "100   write(1, \"x\", 1) = 1\n");
        await using var holder = new NpgsqlConnection(Db.ConnectionString);
        await holder.OpenAsync(TestContext.Current.CancellationToken);
        await using NpgsqlTransaction transaction = await holder.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_xact_lock(6005923182417363282)", holder, transaction))
        {
            // The fingerprints' write lock ("SYSPLEAR"), as another host's train holds it while learning.
            await take.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var (exit, _, error) = RunWithBusyTimeout("1", "train", "--db", Db.Url, other);

        Assert.Equal(ExitCodes.StoreUnavailable, exit);
        string location = PostgresLocation.Describe(PostgresLocation.Parse(Db.Url));
        Assert.Equal($"sysprint: error: {location}: the store is locked by another process (waited 1 s); try again when it has finished\n", error);
    }

    [Fact]
    public async Task A_store_part_newer_than_this_sysprint_is_refused_without_writing()
    {
        Assert.Equal(0, Support.Cli.Run("stats", "--db", Db.Url).Exit);
        await using (var connection = new NpgsqlConnection(Db.ConnectionString))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var bump = new NpgsqlCommand("UPDATE sysprint_schema SET version = 99 WHERE part = 'store'", connection);
            await bump.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var (exit, _, error) = Support.Cli.Run("train", "--db", Db.Url, _dir.Write("a.strace", Logs.Normal));

        string location = PostgresLocation.Describe(PostgresLocation.Parse(Db.Url));
        Assert.Equal((ExitCodes.StoreUnavailable, $"sysprint: error: {location}: its store tables are at version 99, newer than this sysprint knows ({PostgresFingerprintStore.CurrentSchemaVersion}); upgrade sysprint\n"),
            (exit, error));
    }

    [Fact]
    public async Task Two_hosts_training_the_same_logs_at_once_give_the_fingerprint_of_one()
    {
        // 240 distinct logs (and 20 copies) of random calls: enough that the two processes' learning overlaps.
        string[] calls = ["read", "write", "close", "openat", "fstat", "mmap", "munmap", "brk", "lseek", "pread64", "ioctl", "access", "pipe", "dup2",
            "getpid", "socket", "connect", "sendto", "recvfrom", "fcntl", "getdents64", "getcwd", "chdir", "rename", "mkdir", "unlink", "uname", "kill"];
        string logs = Directory.CreateDirectory(_dir.PathOf("logs")).FullName;
        for (int i = 0; i < 240; i++)
        {
            var random = new Random(i);
            var text = new StringBuilder();
            for (int c = 0; c < 150; c++)
            {
                // A few hot calls and a tail, so that later logs still bring new transitions now and then.
                string call = random.Next(4) == 0 ? calls[random.Next(calls.Length)] : calls[random.Next(6)];
                text.Append(CultureInfo.InvariantCulture, $"{1000 + i}   {call}(0) = 0\n");
            }

            File.WriteAllText(Path.Combine(logs, $"run-{i:D3}.strace"), text.ToString());
            if (i < 20)
            {
                File.WriteAllText(Path.Combine(logs, $"copy-{i:D3}.strace"), text.ToString());
            }
        }

        await using TestDatabase single = await TestDatabase.CreateAsync();
        string[] forward = [.. Directory.GetFiles(logs).Order(StringComparer.Ordinal)];
        string[] backward = [.. forward.Reverse()];

        using (var a = SysprintProcess.Start(["train", "-q", "--db", Db.Url, .. forward]))
        using (var b = SysprintProcess.Start(["train", "-q", "--db", Db.Url, .. backward]))
        {
            Assert.Equal((0, ""), (await a.WaitForExitAsync(TimeSpan.FromMinutes(5)), a.Error));
            Assert.Equal((0, ""), (await b.WaitForExitAsync(TimeSpan.FromMinutes(5)), b.Error));
            // How much the two interleaved (seen: 103 and 138 learnt, the rest found learnt by the other).
            TestContext.Current.SendDiagnosticMessage($"forward: {a.Out.Split('\n')[0]}; backward: {b.Out.Split('\n')[0]}");
        }

        Assert.Equal(0, Support.Cli.Run("train", "-q", "--db", single.Url, logs).Exit);
        using IFingerprintStore both = new PostgresBackend().Open(StoreAddress.Parse(Db.Url), new StoreOpenOptions());
        using IFingerprintStore one = new PostgresBackend().Open(StoreAddress.Parse(single.Url), new StoreOpenOptions());
        ProfileInfo bothProfile = Assert.Single(both.ListProfiles());
        ProfileInfo oneProfile = Assert.Single(one.ListProfiles());
        Fingerprint expected = one.LoadFingerprint(oneProfile);
        Fingerprint actual = both.LoadFingerprint(bothProfile);
        Assert.Equal(expected.Grams(), actual.Grams());
        Assert.Equal(240, both.ListLearntLogs(bothProfile.Id).Count);
        Assert.Equal(
            one.ListLearntLogs(oneProfile.Id).Select(l => l.Sha256).Order(StringComparer.Ordinal),
            both.ListLearntLogs(bothProfile.Id).Select(l => l.Sha256).Order(StringComparer.Ordinal));
        Assert.Equal(one.LoadWindowModel(oneProfile).Digest, both.LoadWindowModel(bothProfile).Digest);
    }

    private static (int Exit, string Out, string Error) RunWithBusyTimeout(string seconds, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = Sysprint.Cli.SysprintApp.Run(args, new Sysprint.Cli.CliContext
        {
            Out = output,
            Error = error,
            Environment = name => name switch
            {
                "SYSPRINT_DB" => null,
                "SYSPRINT_BUSY_TIMEOUT" => seconds,
                _ => Environment.GetEnvironmentVariable(name),
            },
        });
        return (exit, output.ToString(), error.ToString());
    }
}

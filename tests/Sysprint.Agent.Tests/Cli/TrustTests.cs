using Microsoft.Data.Sqlite;

namespace Sysprint.Agent.Tests.Cli;

/// <summary>
/// <c>watch</c>, <c>run</c> and <c>attach</c> with <c>--trust KEYFILE.pub</c> (or the config's
/// <c>trust</c>, or <c>$SYSPRINT_TRUST</c>): a real sealed store, then changed behind the agent's
/// back with SQL (the injected call whitelisted), is refused before any log or command is checked.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Trait("Speed", "slow")]
public sealed class TrustTests : IDisposable
{
    private const string ChangedMessage =
        @"^sysprint: error: .*: profile 'default' changed since it was sealed on [-0-9]+ [:0-9]+Z \(digest [0-9a-f]{16}, sealed [0-9a-f]{16}\); refusing to use it\. If the change is yours, seal it again with 'sysprint seal'\n$";

    private readonly TempDir _dir = new();
    private readonly string _db;
    private readonly string _key;

    public TrustTests()
    {
        _db = Support.Cli.TrainedStore(_dir);
        _key = _dir.PathOf("keys/admin.key");
        Directory.CreateDirectory(Path.GetDirectoryName(_key)!);
    }

    private string PublicKey => _key + ".pub";

    private string Spool => _dir.PathOf("spool");

    public void Dispose() => _dir.Dispose();

    private void Seal(string db) => Support.Cli.RunOk("seal", "--db", db, "--key", _key);

    /// <summary>What an intruder with write access to the store does: whitelist read → socket (x86_64 0 → 41).</summary>
    private static void WhitelistReadSocket(string db)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Pooling = false }.ToString());
        connection.Open();
        using SqliteCommand insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO grams (profile_id, gram, first_log_id) SELECT profile_id, '0 41', first_log_id FROM grams LIMIT 1";
        Assert.Equal(1, insert.ExecuteNonQuery());
    }

    private string SpoolLog(string vm, string text)
    {
        string path = Path.Combine(Spool, vm, "run.strace");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void The_sql_tampering_of_these_tests_hides_an_injected_call_from_an_agent_without_trust()
    {
        Seal(_db);
        string log = SpoolLog("web-01", Logs.Injection(300));
        var (before, _, _) = Support.Cli.Run("check", "--db", _db, log);

        WhitelistReadSocket(_db);
        var (after, output, _) = Support.Cli.Run("check", "--db", _db, log);

        Assert.Equal(1, before);
        Assert.Equal(1, after);
        Assert.DoesNotContain("read(0) → socket(41)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Watch_with_trust_refuses_a_fingerprint_changed_with_sql_after_sealing()
    {
        Seal(_db);
        WhitelistReadSocket(_db);
        SpoolLog("web-01", Logs.Injection(300));

        var (exit, output, error) = Support.Cli.Run("watch", "--db", _db, "--trust", PublicKey, Spool);

        Assert.Equal(77, exit);
        Assert.Equal("", output);
        Assert.Matches(ChangedMessage, error);
        Assert.StartsWith($"sysprint: error: {_db}: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Watch_takes_trust_from_the_config_file()
    {
        Seal(_db);
        WhitelistReadSocket(_db);
        string config = _dir.Write("agent.json", $$"""{ "db": "{{_db}}", "spools": ["{{Spool}}"], "trust": "{{PublicKey}}" }""");

        var (exit, _, error) = Support.Cli.Run("watch", "--config", config);

        Assert.Equal(77, exit);
        Assert.Matches(ChangedMessage, error);
    }

    [Fact]
    public void Watch_takes_trust_from_the_environment_and_refuses_an_unsealed_store()
    {
        Seal(_db);
        string unsealed = _dir.PathOf("unsealed.db");
        Support.Cli.RunOk("train", "--db", unsealed, _dir.Write("train/other.strace", Logs.Normal));

        var (exit, _, error) = Support.Cli.RunWith(new Dictionary<string, string> { ["SYSPRINT_TRUST"] = PublicKey }, "watch", "--db", unsealed, Spool);

        Assert.Equal(77, exit);
        Assert.Equal($"sysprint: error: {unsealed}: profile 'default' is not sealed; refusing to use it with --trust (run 'sysprint seal --key KEYFILE' first)\n", error);
    }

    [Fact]
    public void Watch_with_a_missing_public_key_says_so()
    {
        var (exit, _, error) = Support.Cli.Run("watch", "--db", _db, "--trust", _dir.PathOf("nope.pub"), Spool);

        Assert.Equal(66, exit);
        Assert.Equal($"sysprint: error: {_dir.PathOf("nope.pub")}: no such public key file\n", error);
    }

    [Fact]
    public void Watch_with_trust_checks_logs_against_a_sealed_untouched_fingerprint()
    {
        Seal(_db);
        using SysprintProcess agent = SysprintProcess.Start(["watch", "--db", _db, "--trust", PublicKey, Spool]);
        SpoolLog("web-01", Logs.Injection(300));

        Eventually.True(() => agent.Out.Contains("Unknown system-call transition read -> socket", StringComparison.Ordinal), "the alert on stdout");
        agent.Signal(15);

        Assert.Equal(0, agent.WaitForExit());
    }

    [Fact]
    public void Watch_with_trust_and_profile_auto_refuses_a_changed_profile_when_a_log_needs_it_and_alerts_instead()
    {
        string db = _dir.PathOf("auto.db");
        Support.Cli.RunOk("train", "--db", db, "--profile", "cat",
            _dir.Write("train/cat.strace", "100   execve(\"/bin/cat\", [\"cat\"], 0x7ffd /* 20 vars */) = 0\n" + Logs.NormalLines(100, 3)));
        Seal(db);
        WhitelistReadSocket(db);
        using SysprintProcess agent = SysprintProcess.Start(["watch", "--db", db, "--profile", "auto", "--trust", PublicKey, Spool]);
        SpoolLog("web-01", "300   execve(\"/bin/cat\", [\"cat\"], 0x7ffd /* 20 vars */) = 0\n" + Logs.Injection(300));

        Eventually.True(() => agent.Out.Contains("Sysprint could not check a log", StringComparison.Ordinal), "the internal alert on stdout");
        agent.Signal(15);

        Assert.Equal(0, agent.WaitForExit());
        Assert.DoesNotContain("Unknown system-call transition", agent.Out, StringComparison.Ordinal);
        Assert.Contains("profile 'cat' changed since it was sealed", agent.Out, StringComparison.Ordinal);
        Assert.Contains("profile 'cat' changed since it was sealed", agent.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_with_trust_refuses_a_fingerprint_changed_with_sql_after_sealing_before_starting_the_command()
    {
        Seal(_db);
        WhitelistReadSocket(_db);
        string marker = _dir.PathOf("started");

        var (exit, output, error) = Support.Cli.Run("run", "--db", _db, "--trust", PublicKey, "--", "touch", marker);

        Assert.Equal(77, exit);
        Assert.Equal("", output);
        Assert.Matches(ChangedMessage, error);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void Run_takes_trust_from_the_environment()
    {
        Seal(_db);
        WhitelistReadSocket(_db);

        var (exit, _, error) = Support.Cli.RunWith(new Dictionary<string, string> { ["SYSPRINT_TRUST"] = PublicKey }, "run", "--db", _db, "--", "true");

        Assert.Equal(77, exit);
        Assert.Matches(ChangedMessage, error);
    }

    [Fact]
    public void Attach_with_trust_refuses_a_fingerprint_changed_with_sql_after_sealing()
    {
        Seal(_db);
        WhitelistReadSocket(_db);

        var (exit, _, error) = Support.Cli.Run("attach", "--db", _db, "--trust", PublicKey, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(77, exit);
        Assert.Matches(ChangedMessage, error);
    }

    [Fact]
    public void Run_learn_with_trust_is_a_usage_error()
    {
        var (exit, _, error) = Support.Cli.Run("run", "--db", _db, "--learn", "--trust", PublicKey, "--", "true");

        Assert.Equal(64, exit);
        Assert.Equal("sysprint: error: --trust goes with a checked run: --learn changes the fingerprint, so seal it again afterwards\n", error);
    }

    [Fact]
    public void Run_with_trust_checks_a_command_against_a_sealed_untouched_fingerprint()
    {
        Assert.NotNull(Sysprint.Agent.Tracing.Executables.Find("strace"));
        string db = _dir.PathOf("run.db");
        string[] command = ["sh", "-c", "cat /etc/hostname"];
        for (int i = 0; i < 3; i++)
        {
            var (learnt, _, learnError) = SysprintProcess.Run(["run", "--db", db, "--learn", "--", .. command]);
            Assert.True(learnt == 0, learnError);
        }

        Seal(db);

        var (exit, output, error) = SysprintProcess.Run(["run", "--db", db, "--trust", PublicKey, "--", .. command]);

        Assert.True(exit == 0, output + error);
        Assert.Matches(@"\nnormal     run: sh -c cat /etc/hostname  [\d,]+ syscalls match profile 'default'; exit status 0\n$", output);
    }
}

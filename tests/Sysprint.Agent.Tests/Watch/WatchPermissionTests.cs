namespace Sysprint.Agent.Tests.Watch;

/// <summary>
/// The agent will not start on a store or config file that anyone may change (world-writable, or
/// in a world-writable directory without the sticky bit): real files, real modes.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Trait("Speed", "slow")]
public sealed class WatchPermissionTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _db;

    public WatchPermissionTests()
    {
        _db = Support.Cli.TrainedStore(_dir);
    }

    private string Spool => _dir.PathOf("spool");

    public void Dispose() => _dir.Dispose();

    private static void Add(string path, UnixFileMode bits) => File.SetUnixFileMode(path, File.GetUnixFileMode(path) | bits);

    [Fact]
    public void A_world_writable_store_is_refused_with_the_chmod_that_fixes_it()
    {
        Add(_db, UnixFileMode.OtherWrite);

        var (exit, output, error) = Support.Cli.Run("watch", "--db", _db, Spool);

        Assert.Equal(77, exit);
        Assert.Equal("", output);
        Assert.Equal($"sysprint: error: {_db}: the store is world-writable (mode 602): anyone could change it; refusing to use it. Fix: chmod o-w {_db}\n", error);
    }

    [Fact]
    public void A_world_writable_wal_file_of_the_store_is_refused()
    {
        string wal = _db + "-wal";
        File.WriteAllBytes(wal, []);
        File.SetUnixFileMode(wal, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);

        var (exit, _, error) = Support.Cli.Run("watch", "--db", _db, Spool);

        Assert.Equal(77, exit);
        Assert.Equal($"sysprint: error: {wal}: the store is world-writable (mode 606): anyone could change it; refusing to use it. Fix: chmod o-w {wal}\n", error);
    }

    [Fact]
    public void A_world_writable_config_file_is_refused_before_it_is_read()
    {
        string config = _dir.Write("agent.json", $$"""{ "db": "{{_db}}", "spools": ["{{Spool}}"] }""");
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);

        var (exit, _, error) = Support.Cli.Run("watch", "--config", config);

        Assert.Equal(77, exit);
        Assert.Equal($"sysprint: error: {config}: the agent's config file is world-writable (mode 646): anyone could change it; refusing to use it. Fix: chmod o-w {config}\n", error);
    }

    [Fact]
    public void A_store_in_a_world_writable_directory_without_the_sticky_bit_is_refused()
    {
        string shared = _dir.PathOf("shared");
        Directory.CreateDirectory(shared);
        string db = Path.Combine(shared, "sysprint.db");
        File.Copy(_db, db);
        File.SetUnixFileMode(shared, (UnixFileMode)0x1FF);

        var (exit, _, error) = Support.Cli.Run("watch", "--db", db, Spool);

        Assert.Equal(77, exit);
        Assert.Equal($"sysprint: error: {db}: the store is in {shared}, a world-writable directory without the sticky bit (mode 777): anyone could replace it; refusing to use it. Fix: chmod o-w {shared} (or chmod +t to keep it shared)\n", error);
    }

    [Fact]
    public void A_store_in_a_world_writable_directory_with_the_sticky_bit_is_used()
    {
        string shared = _dir.PathOf("shared");
        Directory.CreateDirectory(shared);
        string db = Path.Combine(shared, "sysprint.db");
        File.Copy(_db, db);
        File.SetUnixFileMode(shared, (UnixFileMode)0x1FF | UnixFileMode.StickyBit);
        using SysprintProcess agent = SysprintProcess.Start(["watch", "--db", db, Spool]);
        string log = Path.Combine(Spool, "web-01", "run.strace");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        File.WriteAllText(log, Logs.Injection(300));

        Eventually.True(() => agent.Out.Contains("Unknown system-call transition read -> socket", StringComparison.Ordinal) || agent.HasExited, "the alert on stdout");
        agent.Signal(15);

        Assert.Equal(0, agent.WaitForExit());
        Assert.DoesNotContain("world-writable", agent.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_group_writable_public_key_given_to_trust_is_refused()
    {
        string key = _dir.PathOf("admin.key");
        Support.Cli.RunOk("seal", "--db", _db, "--key", key);
        Add(key + ".pub", UnixFileMode.GroupWrite);

        var (exit, _, error) = Support.Cli.Run("watch", "--db", _db, "--trust", key + ".pub", Spool);

        Assert.Equal(77, exit);
        Assert.StartsWith($"sysprint: error: {key}.pub: writable by group or others (mode 6", error, StringComparison.Ordinal);
        Assert.EndsWith($"refusing to trust it; chmod go-w {key}.pub\n", error, StringComparison.Ordinal);
    }
}

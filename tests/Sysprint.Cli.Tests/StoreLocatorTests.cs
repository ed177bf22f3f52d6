using Sysprint.Cli.Tests.Support;

namespace Sysprint.Cli.Tests;

/// <summary>Which store a command uses: <c>--db</c>, else <c>$SYSPRINT_DB</c>.</summary>
public sealed class StoreLocatorTests : IDisposable
{
    private readonly CliSandbox _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Sysprint_db_is_used_when_db_is_absent()
    {
        string db = _cli.Db("from-env.db");
        _cli.Environment["SYSPRINT_DB"] = db;

        CliResult train = _cli.Run("train", Fixtures.Strace("single_plain"));
        CliResult check = _cli.Run("check", Fixtures.Strace("single_t"));
        CliResult stats = _cli.Run("stats");

        Assert.Equal(0, train.Exit);
        Assert.True(File.Exists(db));
        Assert.Equal(0, check.Exit);
        Assert.Equal($"store    {db} (schema 4)", stats.OutLines[0]);
    }

    [Fact]
    public void Root_writing_another_users_store_leaves_it_and_its_files_that_users()
    {
        if (!StoreOwner.IsRoot)
        {
            Assert.Skip("needs root: it checks what root's train leaves in a folder another user owns (the service's /var/lib/sysprint)");
        }

        // The service's state folder, owned by its user (nobody here), before any store exists.
        string folder = _cli.PathOf("state");
        Directory.CreateDirectory(folder);
        using (var chown = System.Diagnostics.Process.Start("chown", ["65534:65534", folder]))
        {
            chown.WaitForExit();
            Assert.Equal(0, chown.ExitCode);
        }

        string db = Path.Combine(folder, "sysprint.db");

        CliResult created = _cli.Run("train", "--db", db, Fixtures.Strace("single_plain"));
        CliResult again = _cli.Run("train", "--db", db, Fixtures.Strace("multi_f"));

        Assert.Equal(0, created.Exit);
        Assert.Equal(0, again.Exit);
        Assert.All(Directory.GetFiles(folder), f => Assert.Equal((65534u, 65534u), StoreOwner.Of(f)));
        Assert.Equal(0, _cli.Run("stats", "--db", db).Exit);
    }

    [Fact]
    public void Db_option_wins_over_sysprint_db()
    {
        string env = _cli.Db("from-env.db");
        string option = _cli.Db("from-option.db");
        _cli.Environment["SYSPRINT_DB"] = env;

        CliResult train = _cli.Run("train", "--db", option, Fixtures.Strace("single_plain"));

        Assert.Equal(0, train.Exit);
        Assert.True(File.Exists(option));
        Assert.False(File.Exists(env));
    }

    [Fact]
    public void Missing_store_named_by_sysprint_db_is_named_in_the_error()
    {
        string db = _cli.Db("absent.db");
        _cli.Environment["SYSPRINT_DB"] = db;

        CliResult result = _cli.Run("check", Fixtures.Strace("single_plain"));

        Expect.Failure(result, 66, $"{db}: no such store; run 'sysprint train' first");
    }

    [Fact]
    public void Store_in_a_missing_directory_is_created_with_it()
    {
        string db = _cli.PathOf("var/lib/sysprint/store.db");

        CliResult result = _cli.Run("train", "--db", db, Fixtures.Strace("single_plain"));

        Assert.Equal(0, result.Exit);
        Assert.True(File.Exists(db));
    }

    [Fact]
    public void Second_run_sees_what_the_first_one_learnt()
    {
        string db = _cli.Db();
        _cli.RunOk("train", "--db", db, Fixtures.Strace("single_plain"));

        CliResult check = _cli.Run("check", "--db", db, Fixtures.Strace("single_yy"));

        Assert.Equal(0, check.Exit);
    }

    [Theory]
    [InlineData("train")]
    [InlineData("check")]
    public void A_postgres_address_is_not_taken_for_a_file(string command)
    {
        string folder = Path.Combine(Environment.CurrentDirectory, "postgres:");

        // Port 1 on loopback: nothing listens, so the PostgreSQL store is tried and cannot be reached.
        CliResult result = _cli.Run(command, "--db", "postgres://user:pw@127.0.0.1:1/db", Fixtures.Strace("single_plain"));

        Expect.Failure(result, 74, "postgres://user@127.0.0.1:1/db: cannot reach PostgreSQL: Connection refused");
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void An_address_of_an_unknown_scheme_in_sysprint_db_is_a_usage_error_naming_the_known_forms()
    {
        _cli.Environment["SYSPRINT_DB"] = "mysql://sysprint:s3cret@db.example:3306/fleet";

        CliResult result = _cli.Run("stats");

        Expect.Failure(result, 64, "$SYSPRINT_DB mysql://sysprint:***@db.example:3306/fleet: no store for 'mysql://' addresses in this sysprint; it knows a file path (SQLite); postgres://USER@HOST[:PORT]/DATABASE or Host=...;Database=... (PostgreSQL)");
        Assert.False(Directory.Exists(Path.Combine(Environment.CurrentDirectory, "mysql:")));
    }

    [Fact]
    public void A_connection_string_no_backend_serves_is_a_usage_error()
    {
        CliResult result = _cli.Run("alerts", "--db", "Server=db.example;Database=sysprint;Password=s3cret");

        Expect.Failure(result, 64, "--db Server=db.example;Database=sysprint;Password=***: no store for connection strings in this sysprint; it knows a file path (SQLite); postgres://USER@HOST[:PORT]/DATABASE or Host=...;Database=... (PostgreSQL)");
    }
}

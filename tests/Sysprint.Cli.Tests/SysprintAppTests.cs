using Sysprint.Cli.Tests.Support;

namespace Sysprint.Cli.Tests;

/// <summary>Every exit code of <see cref="SysprintApp.Run"/>, with the whole message on stderr.</summary>
public sealed class SysprintAppTests : IDisposable
{
    private readonly CliSandbox _cli = new();
    private readonly string _db;

    public SysprintAppTests()
    {
        _db = _cli.Db();
    }

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Check_of_a_normal_log_exits_0()
    {
        _cli.RunOk("train", "--db", _db, Fixtures.Strace("single_plain"));

        CliResult result = _cli.Run("check", "--db", _db, Fixtures.Strace("single_t"));

        Assert.Equal(0, result.Exit);
        Assert.Equal($"normal     {Fixtures.Strace("single_t")}  45 syscalls match profile 'default'\n", result.Out);
        Assert.Equal("", result.Error);
    }

    [Fact]
    public void Check_of_an_anomalous_log_exits_1()
    {
        _cli.RunOk("train", "--db", _db, Fixtures.Strace("single_plain"));

        CliResult result = _cli.Run("check", "--db", _db, Fixtures.Strace("unknown_syscall"));

        Assert.Equal(1, result.Exit);
        Assert.StartsWith($"ANOMALOUS  {Fixtures.Strace("unknown_syscall")}  8 mismatches (8 distinct) in 17 syscalls, profile 'default'\n", result.Out, StringComparison.Ordinal);
        Assert.Equal("", result.Error);
    }

    [Fact]
    public void One_anomalous_log_among_normal_ones_makes_the_exit_1()
    {
        _cli.RunOk("train", "--db", _db, Fixtures.Strace("single_plain"));

        CliResult result = _cli.Run("check", "--db", _db, Fixtures.Strace("single_tt"), Fixtures.Strace("unknown_syscall"), Fixtures.Strace("single_ttt"));

        Assert.Equal(1, result.Exit);
        Assert.Equal(3, result.OutLines.Count(l => l.StartsWith("normal ", StringComparison.Ordinal) || l.StartsWith("ANOMALOUS ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Unknown_option_exits_64_naming_the_option()
    {
        CliResult result = _cli.Run("check", "--db", _db, "--bogus", Fixtures.Strace("single_plain"));

        Assert.Equal(64, result.Exit);
        Assert.Equal("sysprint: error: unknown option '--bogus' for 'check'; to pass an argument that starts with '-', put it after '--'\nTry 'sysprint check --help'.\n", result.Error);
        Assert.Equal("", result.Out);
        Assert.False(File.Exists(_db));
    }

    [Fact]
    public void Window_17_exits_64_with_the_valid_range()
    {
        CliResult result = _cli.Run("train", "--db", _db, "--window", "17", Fixtures.Strace("single_plain"));

        Assert.Equal(64, result.Exit);
        Assert.Equal("sysprint: error: --window must be between 2 and 16, not 17\nTry 'sysprint train --help'.\n", result.Error);
        Assert.False(File.Exists(_db));
    }

    [Fact]
    public void Window_1_exits_64_with_the_valid_range()
    {
        CliResult result = _cli.Run("train", "--db", _db, "--window", "1", Fixtures.Strace("single_plain"));

        Assert.Equal(64, result.Exit);
        Assert.Equal("sysprint: error: --window must be between 2 and 16, not 1\nTry 'sysprint train --help'.\n", result.Error);
    }

    [Fact]
    public void Bad_format_value_exits_64_listing_the_valid_ones()
    {
        CliResult result = _cli.Run("check", "--db", _db, "--format", "xml", Fixtures.Strace("single_plain"));

        Assert.Equal(64, result.Exit);
        Assert.Equal(
            """
            sysprint: error: Argument 'xml' not recognized. Must be one of:
            	'auto'
            	'strace'
            	'nttrace'
            	'adfa'
            	'unm'
            Try 'sysprint check --help'.

            """, result.Error);
    }

    [Fact]
    public void Bad_show_format_exits_64_listing_the_valid_ones()
    {
        CliResult result = _cli.Run("show", "--db", _db, "--format", "xml");

        Assert.Equal(64, result.Exit);
        Assert.Equal(
            """
            sysprint: error: Argument 'xml' not recognized. Must be one of:
            	'text'
            	'json'
            	'dot'
            Try 'sysprint show --help'.

            """, result.Error);
    }

    [Fact]
    public void Unknown_abi_exits_64_listing_the_builtin_ones()
    {
        CliResult result = _cli.Run("train", "--db", _db, "--abi", "mips", Fixtures.Strace("single_plain"));

        Assert.Equal(64, result.Exit);
        Assert.Equal(
            """
            sysprint: error: Argument 'mips' not recognized. Must be one of:
            	'x86_64'
            	'i386'
            	'arm64'
            Try 'sysprint train --help'.

            """, result.Error);
        Assert.False(File.Exists(_db));
    }

    [Fact]
    public void Number_option_given_a_word_exits_64()
    {
        _cli.RunOk("train", "--db", _db, Fixtures.Strace("single_plain"));

        CliResult result = _cli.Run("alerts", "--db", _db, "--limit", "abc");

        Assert.Equal(64, result.Exit);
        Assert.Equal("sysprint: error: --limit: expected a whole number, found 'abc'\nTry 'sysprint alerts --help'.\n", result.Error);
    }

    // BUG (src/Sysprint.Cli/Commands/CommonOptions.cs Window/MaxLineBytes, CheckCommand --threshold): their validators call
    // GetValueOrDefault, which throws InvalidOperationException when the token does not parse; SysprintApp maps it to 70.
    [Theory]
    [InlineData("train", "--window", "abc")]
    [InlineData("train", "--window", "99999999999")]
    [InlineData("check", "--threshold", "abc")]
    [InlineData("check", "--max-line-bytes", "abc")]
    public void Option_value_that_does_not_parse_exits_64(string command, string option, string value)
    {
        _cli.RunOk("train", "--db", _db, Fixtures.Strace("single_plain"));

        CliResult result = _cli.Run(command, "--db", _db, option, value, Fixtures.Strace("single_t"));

        Assert.Equal(64, result.Exit);
        Assert.StartsWith("sysprint: error: ", result.Error, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", result.Error, StringComparison.Ordinal);
        Assert.Contains($"{option}: expected", result.Error, StringComparison.Ordinal);
        Assert.EndsWith($"Try 'sysprint {command} --help'.\n", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", result.Error, StringComparison.Ordinal);
    }

    // BUG (src/Sysprint.Core/Engine/Trainer.cs / the store's CreateProfile): an empty --profile reaches
    // ArgumentException.ThrowIfNullOrEmpty(name), which SysprintApp reports as an internal error (exit 70).
    [Fact]
    public void Empty_profile_name_exits_64()
    {
        CliResult result = _cli.Run("train", "--db", _db, "--profile", "", Fixtures.Strace("single_plain"));

        Assert.Equal(64, result.Exit);
        Assert.StartsWith("sysprint: error: ", result.Error, StringComparison.Ordinal);
        Assert.Contains("--profile", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("train")]
    [InlineData("check")]
    public void Missing_path_exits_64(string command)
    {
        CliResult result = _cli.Run(command, "--db", _db);

        Assert.Equal(64, result.Exit);
        Assert.Equal($"sysprint: error: Required argument missing for command: '{command}'.\nTry 'sysprint {command} --help'.\n", result.Error);
    }

    [Fact]
    public void Unknown_command_exits_64()
    {
        CliResult result = _cli.Run("trian", "--db", _db, Fixtures.Strace("single_plain"));

        Assert.Equal(64, result.Exit);
        Assert.EndsWith("Try 'sysprint --help'.\n", result.Error, StringComparison.Ordinal);
        Expect.NoStackTrace(result);
    }

    [Fact]
    public void Busy_timeout_that_is_not_a_number_exits_64()
    {
        _cli.RunOk("train", "--db", _db, Fixtures.Strace("single_plain"));
        _cli.Environment["SYSPRINT_BUSY_TIMEOUT"] = "abc";

        CliResult result = _cli.Run("check", "--db", _db, Fixtures.Strace("single_plain"));

        Expect.Failure(result, 64, "SYSPRINT_BUSY_TIMEOUT must be a whole number of seconds (at least 1), not 'abc'");
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void Busy_timeout_of_0_exits_64()
    {
        _cli.Environment["SYSPRINT_BUSY_TIMEOUT"] = "0";

        CliResult result = _cli.Run("train", "--db", _db, Fixtures.Strace("single_plain"));

        Expect.Failure(result, 64, "SYSPRINT_BUSY_TIMEOUT must be a whole number of seconds (at least 1), not '0'");
    }

    [Fact]
    public void Malformed_log_exits_65()
    {
        _cli.RunOk("train", "--db", _db, Fixtures.Strace("single_plain"));
        string log = _cli.Write("bad.strace", "100   close(1) = 0\n100   CLOSE(2) = 0\n");

        CliResult result = _cli.Run("check", "--db", _db, log);

        Expect.Failure(result, 65, $"{log}:2:7: expected a system call name (lowercase letters, digits, '_'), found 'CLOSE(2) = 0'");
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void Missing_log_file_exits_66()
    {
        _cli.RunOk("train", "--db", _db, Fixtures.Strace("single_plain"));
        string missing = _cli.PathOf("nowhere.strace");

        CliResult result = _cli.Run("check", "--db", _db, missing);

        Expect.Failure(result, 66, $"{missing}: no such file or directory");
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void Missing_log_file_on_train_exits_66_and_creates_no_store()
    {
        string missing = _cli.PathOf("nowhere.strace");

        CliResult result = _cli.Run("train", "--db", _db, missing);

        Expect.Failure(result, 66, $"{missing}: no such file or directory");
        Assert.False(File.Exists(_db));
    }

    [Fact]
    public void Directory_without_logs_exits_66()
    {
        _cli.RunOk("train", "--db", _db, Fixtures.Strace("single_plain"));
        string empty = Directory.CreateDirectory(_cli.PathOf("empty")).FullName;

        CliResult result = _cli.Run("check", "--db", _db, empty);

        Expect.Failure(result, 66, $"{empty}: no log files in this directory");
    }

    [Fact]
    public void Missing_store_on_check_exits_66()
    {
        CliResult result = _cli.Run("check", "--db", _db, Fixtures.Strace("single_plain"));

        Expect.Failure(result, 66, $"{_db}: no such store; run 'sysprint train' first");
        Assert.False(File.Exists(_db));
    }

    [Theory]
    [InlineData("show")]
    [InlineData("stats")]
    [InlineData("alerts")]
    public void Missing_store_on_a_reading_command_exits_66(string command)
    {
        CliResult result = _cli.Run(command, "--db", _db);

        Expect.Failure(result, 66, $"{_db}: no such store; run 'sysprint train' first");
        Assert.False(File.Exists(_db));
    }

    [Fact]
    public void Missing_profile_on_check_exits_66_naming_the_profiles()
    {
        _cli.RunOk("train", "--db", _db, Fixtures.Strace("single_plain"));

        CliResult result = _cli.Run("check", "--db", _db, "--profile", "nginx", Fixtures.Strace("single_plain"));

        Expect.Failure(result, 66, $"{_db}: no profile 'nginx' (profiles: default); learn it first with 'sysprint train --profile nginx'");
    }

    [Fact]
    public void Garbage_store_file_exits_74()
    {
        byte[] garbage = new byte[8192];
        new Random(42).NextBytes(garbage);
        string db = _cli.WriteBytes("garbage.db", garbage);

        CliResult result = _cli.Run("check", "--db", db, Fixtures.Strace("single_plain"));

        Expect.Failure(result, 74, $"{db}: not a sysprint store (file is not a database)");
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void Garbage_store_file_on_train_exits_74_and_is_left_alone()
    {
        byte[] garbage = new byte[8192];
        new Random(7).NextBytes(garbage);
        string db = _cli.WriteBytes("garbage.db", garbage);

        CliResult result = _cli.Run("train", "--db", db, Fixtures.Strace("single_plain"));

        Expect.Failure(result, 74, $"{db}: not a sysprint store (file is not a database)");
        Assert.Equal(garbage, File.ReadAllBytes(db));
    }

    [Fact]
    public void Directory_as_store_exits_74()
    {
        string db = Directory.CreateDirectory(_cli.PathOf("store.d")).FullName;

        CliResult result = _cli.Run("train", "--db", db, Fixtures.Strace("single_plain"));

        Expect.Failure(result, 74, $"{db}: is a directory, not a sysprint store");
    }
}

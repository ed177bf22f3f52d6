using Sysprint.Cli.Tests.Support;

namespace Sysprint.Cli.Tests.Commands;

/// <summary><c>sysprint mapping</c> and <c>--mapping FILE</c>: the paper's name ↔ number table, printed and read back.</summary>
public sealed class MappingCommandTests : IDisposable
{
    private readonly CliSandbox _cli = new();
    private readonly string _db;

    public MappingCommandTests()
    {
        _db = _cli.Db();
    }

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Mapping_without_a_store_prints_the_builtin_x86_64_table()
    {
        CliResult result = _cli.Run("mapping", "--db", _db);

        Assert.Equal(0, result.Exit);
        Assert.StartsWith(
            "# sysprint mapping: x86_64\n# <number>\t<name>; '#' starts a comment; numbers from 100000 are names learnt from logs\n0\tread\n1\twrite\n2\topen\n3\tclose\n",
            result.Out, StringComparison.Ordinal);
        Assert.Contains("\n257\topenat\n", result.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(_db));
    }

    [Fact]
    public void Mapping_abi_i386_prints_the_i386_table()
    {
        CliResult result = _cli.Run("mapping", "--abi", "i386");

        Assert.Equal(0, result.Exit);
        Assert.StartsWith("# sysprint mapping: i386\n", result.Out, StringComparison.Ordinal);
        Assert.Contains("\n6\tclose\n", result.Out, StringComparison.Ordinal);
        Assert.Contains("\n5\topen\n", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Mapping_abi_arm64_prints_the_arm64_table()
    {
        CliResult result = _cli.Run("mapping", "--abi", "arm64");

        Assert.Equal(0, result.Exit);
        Assert.Contains("\n57\tclose\n", result.Out, StringComparison.Ordinal);
        Assert.Contains("\n56\topenat\n", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Printed_mapping_is_accepted_back_by_train_and_gives_the_same_numbers()
    {
        string file = _cli.Write("x86_64.map", _cli.RunOk("mapping").Out);
        string db = _cli.Db("mapped.db");

        CliResult train = _cli.Run("train", "--db", db, "--mapping", file, Fixtures.Strace("single_plain"));
        CliResult check = _cli.Run("check", "--db", db, Fixtures.Strace("single_t"));
        CliResult printed = _cli.Run("mapping", "--db", db);

        Assert.Equal(0, train.Exit);
        Assert.Equal(0, check.Exit);
        Assert.StartsWith("# sysprint mapping: file:x86_64.map\n", printed.Out, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllLines(file)[1..], printed.Out.Split('\n')[1..^1]);
        Assert.Contains("\nopenat(257) → read, newfstatat\n", _cli.RunOk("show", "--db", db).Out, StringComparison.Ordinal);
    }

    [Fact]
    public void User_mapping_file_gives_its_own_numbers()
    {
        string map = _cli.Write("tiny.map",
            """
            # a table of three calls
            1000 openat
            1001	read   # tab-separated works too

            1002 close
            """);
        string db = _cli.Db("tiny.db");

        CliResult train = _cli.Run("train", "--db", db, "--mapping", map, _cli.Write("a.strace", Logs.Normal));
        CliResult show = _cli.Run("show", "--db", db);
        CliResult printed = _cli.Run("mapping", "--db", db);

        Assert.Equal(0, train.Exit);
        Assert.Contains("\nopenat(1000) → read\n", show.Out, StringComparison.Ordinal);
        Assert.EndsWith("1000\topenat\n1001\tread\n1002\tclose\n", printed.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void User_mapping_file_without_a_name_the_log_uses_is_strict()
    {
        string map = _cli.Write("tiny.map", "257 openat\n0 read\n");
        string log = _cli.Write("a.strace", Logs.Normal);

        CliResult result = _cli.Run("train", "--db", _db, "--mapping", map, log);

        Assert.Equal(65, result.Exit);
        Assert.Equal(
            $"sysprint: error: {log}:3:7: unknown system call 'close': not in the mapping (file:tiny.map); use --learn-names to learn new names or --mapping FILE to give them numbers\n",
            result.Error);
    }

    [Theory]
    [InlineData("0 read\n1 wr-ite\n", "2:3: expected a system call name (letters, digits, '_'), found 'wr-ite'")]
    [InlineData("0 read\n  x write\n", "2:3: expected a system call number, found 'x'")]
    [InlineData("0 read\n\n# comment\nopenat\n", "4:1: expected '<number> <name>', found 'openat'")]
    [InlineData("0 read 1\n", "1:1: expected '<number> <name>', found '0 read 1'")]
    public void Bad_user_mapping_file_is_located_as_path_line_col(string text, string message)
    {
        string map = _cli.Write("bad.map", text);

        CliResult train = _cli.Run("train", "--db", _db, "--mapping", map, Fixtures.Strace("single_plain"));
        CliResult print = _cli.Run("mapping", "--mapping", map);

        Assert.Equal(65, train.Exit);
        Assert.Equal($"sysprint: error: {map}:{message}\n", train.Error);
        Assert.Equal("", train.Out);
        Expect.Failure(print, 65, $"{map}:{message}");
        Assert.Equal("", print.Out);
    }

    [Fact]
    public void Missing_mapping_file_exits_66()
    {
        string map = _cli.PathOf("nope.map");

        CliResult result = _cli.Run("mapping", "--mapping", map);

        Expect.Failure(result, 66, $"{map}: cannot read the mapping file: Could not find file '{map}'.");
    }

    [Fact]
    public void Another_abi_for_an_existing_store_is_a_usage_error()
    {
        _cli.RunOk("train", "--db", _db, Fixtures.Strace("single_plain"));

        CliResult result = _cli.Run("train", "--db", _db, "--abi", "i386", Fixtures.Strace("single_t"));

        Expect.Failure(result, 64, $"{_db} uses the mapping 'x86_64', not 'i386': numbers would not match; use another --db for another mapping");
    }

    [Fact]
    public void Store_made_with_abi_i386_keeps_it()
    {
        string log = _cli.Write("i386.strace", "close(1) = 0\nopen(\"/etc/hostname\", O_RDONLY) = 3\nclose(3) = 0\n");

        _cli.RunOk("train", "--db", _db, "--abi", "i386", log);
        CliResult show = _cli.Run("show", "--db", _db);
        CliResult mapping = _cli.Run("mapping", "--db", _db);

        Assert.Equal(
            """
            # profile 'default': window 2, 2 calls, 2 transitions
            open(5) → close
            close(6) → open

            """, show.Out);
        Assert.StartsWith("# sysprint mapping: i386\n", mapping.Out, StringComparison.Ordinal);
    }
}

using System.Text.RegularExpressions;
using Sysprint.Cli.Tests.Support;

namespace Sysprint.Cli.Tests.Commands;

/// <summary><c>sysprint stats</c>: what the store holds.</summary>
public sealed class StatsCommandTests : IDisposable
{
    private readonly CliSandbox _cli = new();
    private readonly string _db;

    public StatsCommandTests()
    {
        _db = _cli.Db();
    }

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Stats_lists_the_store_mapping_checks_and_every_profile()
    {
        _cli.RunOk("train", "--db", _db, Fixtures.Strace("single_plain"), Fixtures.Strace("single_t"));
        _cli.RunOk("train", "--db", _db, "--profile", "w4", "--window", "4", Fixtures.Strace("unknown_syscall"));
        _cli.Run("check", "--db", _db, Fixtures.Strace("unknown_syscall"));
        _cli.RunOk("check", "--db", _db, Fixtures.Strace("single_tt"));

        CliResult result = _cli.Run("stats", "--db", _db);

        Assert.Equal(0, result.Exit);
        Assert.Equal(6, result.OutLines.Length);
        Assert.Equal($"store    {_db} (schema 4)", result.OutLines[0]);
        Assert.Equal("mapping  x86_64: 385 names, 0 learnt", result.OutLines[1]);
        Assert.Equal("checks   2 (1 anomalous), alerts 1", result.OutLines[2]);
        Assert.Equal("profiles 2", result.OutLines[3]);
        Assert.Matches(
            new Regex("^  default          window 2 +\\d+ entries +2 logs +90 syscalls  detector paper \\(threshold 0\\)  last learnt \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$"),
            result.OutLines[4]);
        Assert.Matches(
            new Regex("^  w4               window 4 +\\d+ entries +1 logs +17 syscalls  detector stide \\(threshold 0\\)  last learnt "),
            result.OutLines[5]);
    }

    [Fact]
    public void Stats_of_a_store_with_a_user_mapping_names_the_file()
    {
        string map = _cli.Write("tiny.map", "257 openat\n0 read\n3 close\n");
        _cli.RunOk("train", "--db", _db, "--mapping", map, _cli.Write("a.strace", Logs.Normal));

        CliResult result = _cli.Run("stats", "--db", _db);

        Assert.Equal("mapping  file:tiny.map: 3 names, 0 learnt", result.OutLines[1]);
    }
}

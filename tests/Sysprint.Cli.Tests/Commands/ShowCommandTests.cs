using System.Text.Json;
using Sysprint.Cli.Tests.Support;

namespace Sysprint.Cli.Tests.Commands;

/// <summary><c>sysprint show</c>: the paper's per-syscall arrays as text, JSON and Graphviz dot.</summary>
public sealed class ShowCommandTests : IDisposable
{
    private readonly CliSandbox _cli = new();
    private readonly string _db;

    public ShowCommandTests()
    {
        _db = _cli.Db();
        _cli.RunOk("train", "--db", _db, _cli.Write("normal.strace", Logs.Normal));
    }

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Text_lists_each_call_with_its_number_and_followers()
    {
        CliResult result = _cli.Run("show", "--db", _db);

        Assert.Equal(0, result.Exit);
        Assert.Equal(
            """
            # profile 'default': window 2, 3 calls, 2 transitions
            read(0) → close
            close(3) → (nothing: last call of its thread)
            openat(257) → read

            """, result.Out);
        Assert.Equal("", result.Error);
    }

    [Fact]
    public void Text_is_the_default_format()
    {
        Assert.Equal(_cli.RunOk("show", "--db", _db).Out, _cli.RunOk("show", "--db", _db, "--format", "text").Out);
    }

    [Fact]
    public void Text_of_a_real_capture_lists_several_followers()
    {
        string db = _cli.Db("cat.db");
        _cli.RunOk("train", "--db", db, Fixtures.Strace("single_plain"));

        CliResult result = _cli.Run("show", "--db", db);

        Assert.StartsWith("# profile 'default': window 2, 20 calls, 37 transitions\nread(0) → write, munmap, pread64\n", result.Out, StringComparison.Ordinal);
        Assert.Contains("\nopenat(257) → read, newfstatat\n", result.Out, StringComparison.Ordinal);
        Assert.Contains("\nclose(3) → close, mmap, exit_group, openat\n", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_gives_each_call_with_its_followers_by_name_and_number()
    {
        CliResult result = _cli.Run("show", "--db", _db, "--format", "json");

        Assert.Equal(0, result.Exit);
        using JsonDocument json = JsonDocument.Parse(result.Out);
        JsonElement root = json.RootElement;
        Assert.Equal("default", root.GetProperty("profile").GetString());
        Assert.Equal(2, root.GetProperty("window").GetInt32());
        Assert.Equal(3, root.GetProperty("calls").GetInt32());
        Assert.Equal(2, root.GetProperty("transitions").GetInt32());
        var arrays = root.GetProperty("fingerprint").EnumerateArray()
            .Select(e => $"{e.GetProperty("name").GetString()}({e.GetProperty("nr").GetInt32()}) → " +
                string.Join(", ", e.GetProperty("next").EnumerateArray().Select(n => $"{n.GetProperty("name").GetString()}({n.GetProperty("nr").GetInt32()})")))
            .ToList();
        Assert.Equal(["read(0) → close(3)", "close(3) → ", "openat(257) → read(0)"], arrays);
    }

    [Fact]
    public void Json_of_a_window_3_profile_lists_its_windows_as_numbers()
    {
        string db = _cli.Db("w3.db");
        _cli.RunOk("train", "--db", db, "--window", "3", _cli.Write("w3.strace", Logs.Normal));

        CliResult result = _cli.Run("show", "--db", db, "--format", "json");

        using JsonDocument json = JsonDocument.Parse(result.Out);
        Assert.Equal(3, json.RootElement.GetProperty("window").GetInt32());
        var windows = json.RootElement.GetProperty("windows").EnumerateArray()
            .Select(w => string.Join(' ', w.EnumerateArray().Select(n => n.GetInt32())))
            .ToList();
        Assert.Contains("257 0 3", windows);
    }

    [Fact]
    public void Dot_is_a_digraph_with_one_edge_per_transition()
    {
        CliResult result = _cli.Run("show", "--db", _db, "--format", "dot");

        Assert.Equal(0, result.Exit);
        Assert.Equal(
            """
            digraph "default" {
              node [shape=box, fontname=monospace];
              "read";
              "read" -> "close";
              "close";
              "openat";
              "openat" -> "read";
            }

            """, result.Out);
    }

    [Fact]
    public void Named_profile_is_shown()
    {
        _cli.RunOk("train", "--db", _db, "--profile", "cat", Fixtures.Strace("single_plain"));

        CliResult result = _cli.Run("show", "--db", _db, "--profile", "cat");

        Assert.StartsWith("# profile 'cat': window 2, 20 calls, 37 transitions\n", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_profile_exits_66_listing_the_profiles()
    {
        CliResult result = _cli.Run("show", "--db", _db, "--profile", "nginx");

        Expect.Failure(result, 66, $"{_db}: no profile 'nginx' (profiles: default)");
        Assert.Equal("", result.Out);
    }
}

using Sysprint.Cli.Tests.Support;

namespace Sysprint.Cli.Tests;

/// <summary>Misspelt commands and options: a usage error (64) with the nearest real name, never a spool or a path.</summary>
public sealed class UsageChecksTests : IDisposable
{
    private readonly CliSandbox _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void A_misspelt_option_is_not_taken_as_a_spool()
    {
        CliResult result = _cli.Run("watch", "--db", _cli.Db(), "--alert-jsonl", "x.jsonl", "spool");

        Assert.Equal(64, result.Exit);
        Assert.Equal("", result.Out);
        Assert.Equal(
            "sysprint: error: unknown option '--alert-jsonl' for 'watch' (did you mean '--alerts-jsonl'?); to pass an argument that starts with '-', put it after '--'\n" +
            "Try 'sysprint watch --help'.\n",
            result.Error);
    }

    [Fact]
    public void An_option_like_word_with_nothing_near_is_refused_without_a_guess()
    {
        CliResult result = _cli.Run("check", "--db", _cli.Db(), "--zzzzzzzzzz", "log");

        Assert.Equal(64, result.Exit);
        Assert.StartsWith("sysprint: error: unknown option '--zzzzzzzzzz' for 'check'; to pass", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void After_a_double_dash_a_word_starting_with_a_dash_is_an_argument()
    {
        CliResult result = _cli.Run("check", "--db", _cli.Db(), "--", "-not-an-option.strace");

        Assert.NotEqual(64, result.Exit);
        Assert.DoesNotContain("unknown option", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_command_gets_the_nearest_command()
    {
        CliResult result = _cli.Run("wacth");

        Assert.Equal(64, result.Exit);
        Assert.Equal("sysprint: error: Unrecognized command or argument 'wacth' (did you mean 'watch'?)\nTry 'sysprint --help'.\n", result.Error);
    }

    [Theory]
    [InlineData("wacth", "watch")]
    [InlineData("--alert-jsonl", "--alerts-jsonl")]
    [InlineData("--thresold", "--threshold")]
    [InlineData("zzzz", null)]
    public void Nearest_is_a_close_name_or_none(string word, string? expected)
    {
        string? near = UsageChecks.Nearest(word, ["watch", "check", "train", "--alerts-jsonl", "--threshold", "--trust"]);

        Assert.Equal(expected, near);
    }
}

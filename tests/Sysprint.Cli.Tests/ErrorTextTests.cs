using Sysprint.Diagnostics;

namespace Sysprint.Cli.Tests;

/// <summary>
/// The CLI words every remedy Core and App can give (their messages name no flag); the commands'
/// tests pin the wording of each in its message.
/// </summary>
public sealed class ErrorTextTests
{
    public static TheoryData<RemedyKind> Kinds() => [.. Enum.GetValues<RemedyKind>()];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_remedy_is_worded_with_the_cli_s_means(RemedyKind kind)
    {
        string text = ErrorText.Word(new Remedy(kind, "web"));

        Assert.Matches("--[a-z]|'sysprint [a-z]", text);
    }

    [Fact]
    public void A_profile_that_runs_can_also_learn_from_a_run()
    {
        var error = new SysprintException(ErrorKind.InputMissing, "store.db: no profile 'cat' (profiles: none)")
        {
            Remedy = new Remedy(RemedyKind.LearnProfile, "cat", Runs: true),
        };

        string text = ErrorText.Of(error);

        Assert.Equal("store.db: no profile 'cat' (profiles: none); learn it first with 'sysprint train --profile cat' or 'sysprint run --learn --profile cat -- CMD'", text);
    }

    [Fact]
    public void An_error_without_a_remedy_is_its_message()
    {
        var error = new SysprintException(ErrorKind.Usage, "bad value");

        Assert.Equal("bad value", ErrorText.Of(error));
    }
}

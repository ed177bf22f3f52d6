using Sysprint.Cli.Demo;

namespace Sysprint.Cli.Tests.Demo;

/// <summary>The demo's convergence sentence, judged program by program.</summary>
[Trait("Speed", "slow")]
public sealed class DemoScenarioTests
{
    private static readonly string[] s_programs = ["ls", "cat", "sort", "date", "wc"];

    [Fact]
    public void A_program_that_still_grows_is_named_even_when_the_last_runs_of_the_others_added_nothing()
    {
        // The growth a real demo run printed: ls still added transitions in rounds 5 and 6.
        int[][] rounds = [[45, 10, 20, 2, 2], [18, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [2, 0, 0, 0, 0], [1, 0, 0, 0, 0]];

        var lines = Stability(rounds, "cat");

        Assert.Equal(
            [
                "Stabilised: cat, sort, date and wc (the last 5 runs of each added nothing).",
                "Not stable yet: ls (its run 6 of 6 added 1 transition).",
                "A new normal run of ls may still hold a transition never seen (a false alarm): learn more of its normal runs, until 3 in a row add nothing.",
            ],
            lines);
    }

    [Fact]
    public void Every_program_quiet_for_its_last_runs_is_stable()
    {
        int[][] rounds = [[45, 10, 20, 2, 2], [18, 3, 3, 1, 1], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]];

        var lines = Stability(rounds, "cat");

        Assert.Equal(["Every program has stabilised: the last 4 runs of each added nothing."], lines);
    }

    [Fact]
    public void Programs_quiet_for_different_lengths_are_stable_from_the_shortest()
    {
        int[][] rounds = [[45, 10, 20, 2, 2], [0, 0, 3, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]];

        var lines = Stability(rounds, "cat");

        Assert.Equal(["Every program has stabilised: at least the last 3 runs of each added nothing."], lines);
    }

    [Fact]
    public void Two_quiet_runs_are_not_enough_and_the_checked_program_is_warned_about()
    {
        int[][] rounds = [[45, 10, 20, 2, 2], [18, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 4, 0, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]];

        var lines = Stability(rounds, "cat");

        Assert.Equal(
            [
                "Stabilised: ls, sort and date (at least the last 4 runs of each added nothing).",
                "Not stable yet: cat (its run 4 of 6 added 4 transitions, the 2 runs after it nothing) and wc (its run 5 of 6 added 1 transition, the run after it nothing).",
                "A new normal run of cat or wc may still hold a transition never seen (a false alarm): learn more of their normal runs, until 3 in a row of each add nothing.",
                "The checks below run cat, which has not stabilised: a false alarm on its clean run would be no surprise.",
            ],
            lines);
    }

    /// <summary>Runs in the demo's order (round by round, the programs in turn) with the given growth.</summary>
    private static IReadOnlyList<string> Stability(int[][] rounds, string checkedProgram)
    {
        var runs = new List<DemoRun>();
        var growth = new List<int>();
        foreach (int[] round in rounds)
        {
            for (int p = 0; p < s_programs.Length; p++)
            {
                runs.Add(new DemoRun(s_programs[p], [s_programs[p]], ["-f"], $"{s_programs[p]}-{runs.Count}.strace"));
                growth.Add(round[p]);
            }
        }

        return DemoScenario.Stability(runs, growth, checkedProgram);
    }
}

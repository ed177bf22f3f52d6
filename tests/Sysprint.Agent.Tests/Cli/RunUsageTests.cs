namespace Sysprint.Agent.Tests.Cli;

/// <summary>Usage errors of <c>run</c>, <c>attach</c> and <c>agent-status</c>, in-process: exit 64 with a plain message.</summary>
[Trait("Speed", "slow")]
public sealed class RunUsageTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(new[] { "run", "--on-anomaly", "explode", "--", "true" }, "Argument 'explode' not recognized. Must be one of:")]
    [InlineData(new[] { "run", "-E", "NOEQUALS", "--", "true" }, "--env 'NOEQUALS': expected NAME=VALUE")]
    [InlineData(new[] { "run" }, "Required argument missing for command: 'run'.")]
    [InlineData(new[] { "attach", "0" }, "PID must be a process id (at least 1), not 0")]
    public void A_bad_command_line_is_a_usage_error(string[] args, string message)
    {
        var (exit, output, error) = Support.Cli.Run(args);

        Assert.Equal(64, exit);
        Assert.Equal("", output);
        Assert.StartsWith("sysprint: error: " + message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Log_of_a_checked_run_under_strace_is_refused()
    {
        string db = Support.Cli.TrainedStore(_dir);

        var (exit, _, error) = Support.Cli.Run("run", "--db", db, "--tracer", "strace", "--log", _dir.PathOf("t.strace"), "--", "true");

        Assert.Equal(64, exit);
        Assert.Equal("sysprint: error: with --tracer strace, --log goes with --learn (a checked run is read live from a pipe)\n", error);
    }

    [Theory]
    [InlineData("--on-anomaly", "deny", "--tracer", "strace", "--on-anomaly deny needs the native tracer (strace reports a call once it has run): drop --tracer strace")]
    [InlineData("--fail", "closed", "--tracer", "strace", "--fail closed needs the native tracer (strace detaches the traced processes when it dies): drop --tracer strace")]
    [InlineData("--deny-errno", "EACCES", "--on-anomaly", "kill", "--deny-errno goes with --on-anomaly deny")]
    public void Options_that_cannot_work_together_are_refused(string option1, string value1, string option2, string value2, string message)
    {
        string db = Support.Cli.TrainedStore(_dir);

        var (exit, output, error) = Support.Cli.Run("run", "--db", db, option1, value1, option2, value2, "--", "true");

        Assert.Equal(64, exit);
        Assert.Equal("", output);
        Assert.Equal($"sysprint: error: {message}\n", error);
    }

    [Fact]
    public void An_unknown_errno_is_refused_with_the_valid_forms()
    {
        string db = Support.Cli.TrainedStore(_dir);

        var (exit, _, error) = Support.Cli.Run("run", "--db", db, "--on-anomaly", "deny", "--deny-errno", "ENOPE", "--", "true");

        Assert.Equal(64, exit);
        Assert.Contains("--deny-errno 'ENOPE': expected an errno name such as EPERM or EACCES, or a number from 1 to 133", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Attach_to_a_process_that_does_not_exist_says_so()
    {
        string db = Support.Cli.TrainedStore(_dir);

        var (exit, _, error) = Support.Cli.Run("attach", "--db", db, "-q", "4194303");

        Assert.Equal(66, exit);
        Assert.Equal("sysprint: error: no process 4194303\n", error);
    }

    [Fact]
    public void Agent_status_of_a_store_the_agent_never_used_says_so()
    {
        string db = Support.Cli.TrainedStore(_dir);

        var (exit, output, _) = Support.Cli.Run("agent-status", "--db", db);

        Assert.Equal(0, exit);
        Assert.Equal("agent    never ran on this store\nfiles    0 reading, 0 done, 0 failed, 0 replaced; 0 lines, 0 syscalls read, lag 0 B\n\nsinks    none used yet\n", output);
    }
}

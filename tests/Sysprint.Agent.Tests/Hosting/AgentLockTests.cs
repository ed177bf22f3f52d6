namespace Sysprint.Agent.Tests.Hosting;

/// <summary>
/// One agent per store, with real processes: a second <c>sysprint watch</c> on the store of a
/// running one exits 75 naming the first one's pid; the lock goes with its holder, SIGKILL
/// included; agents on different stores run side by side.
/// </summary>
[Trait("Speed", "slow")]
public sealed class AgentLockTests : IDisposable
{
    private static readonly TimeSpan s_start = TimeSpan.FromSeconds(60);

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Spool()
    {
        string spool = _dir.PathOf("spool");
        Directory.CreateDirectory(Path.Combine(spool, "web-01"));
        return spool;
    }

    [Fact]
    public async Task A_second_watch_on_the_same_store_exits_75_naming_the_first_ones_pid()
    {
        string db = Support.Cli.TrainedStore(_dir, "agent.db");
        string spool = Spool();
        using SysprintProcess first = SysprintProcess.Start(["watch", "--db", db, "-q", spool]);
        await first.WaitForErrorAsync("watching ", s_start);

        var (exit, output, error) = await SysprintProcess.RunAsync(s_start, "watch", "--db", db, "-q", spool);

        Assert.Equal(75, exit);
        Assert.Equal("", output);
        Assert.Equal(
            $"sysprint: error: another agent, pid {first.Id}, is already watching with the store {db} (it holds {db}.lock): "
            + $"stop it first (systemctl stop sysprint-agent, or kill {first.Id}), or give this one another --db\n",
            error);
        Assert.False(first.HasExited, first.Error);
        first.Signal(SysprintProcess.SigTerm);
        Assert.Equal(0, await first.WaitForExitAsync(s_start));
    }

    [Fact]
    public async Task The_lock_goes_with_its_holder_even_after_sigkill()
    {
        string db = Support.Cli.TrainedStore(_dir, "agent.db");
        string spool = Spool();
        using (SysprintProcess killed = SysprintProcess.Start(["watch", "--db", db, "-q", spool]))
        {
            await killed.WaitForErrorAsync("watching ", s_start);
            killed.Signal(SysprintProcess.SigKill);
            Assert.Equal(137, await killed.WaitForExitAsync(s_start));
        }

        // The dead agent's pid is still in the lock file; the kernel released its lock.
        using SysprintProcess next = SysprintProcess.Start(["watch", "--db", db, "-q", spool]);
        await next.WaitForErrorAsync("watching ", s_start);
        Assert.Equal($"{next.Id}\n", await ReadSharedAsync(db + ".lock"));

        next.Signal(SysprintProcess.SigTerm);
        Assert.Equal(0, await next.WaitForExitAsync(s_start));
        Assert.Equal("", await ReadSharedAsync(db + ".lock"));
    }

    [Fact]
    public async Task Agents_on_different_stores_run_side_by_side()
    {
        string one = Support.Cli.TrainedStore(_dir, "one.db");
        string two = Support.Cli.TrainedStore(_dir, "two.db");
        string spool = Spool();
        using SysprintProcess first = SysprintProcess.Start(["watch", "--db", one, "-q", spool]);
        using SysprintProcess second = SysprintProcess.Start(["watch", "--db", two, "-q", spool]);

        await first.WaitForErrorAsync("watching ", s_start);
        await second.WaitForErrorAsync("watching ", s_start);

        first.Signal(SysprintProcess.SigTerm);
        second.Signal(SysprintProcess.SigTerm);
        Assert.Equal(0, await first.WaitForExitAsync(s_start));
        Assert.Equal(0, await second.WaitForExitAsync(s_start));
    }

    /// <summary>The lock file's text, read the way <c>cat</c> would (no lock of our own: .NET's reading takes a shared one).</summary>
    private static async Task<string> ReadSharedAsync(string path)
    {
        var (exit, output, error) = await Task.Run(() =>
        {
            using var cat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("cat", [path])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            string text = cat.StandardOutput.ReadToEnd();
            string err = cat.StandardError.ReadToEnd();
            cat.WaitForExit();
            return (cat.ExitCode, text, err);
        }, TestContext.Current.CancellationToken);
        Assert.True(exit == 0, error);
        return output;
    }
}

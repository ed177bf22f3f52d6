using System.Diagnostics;

namespace Sysprint.Reliability.Tests;

/// <summary>
/// <c>train</c> and <c>check</c> killed with SIGKILL at random points, many times, on one store:
/// after each kill the store passes <c>PRAGMA integrity_check</c>, its fingerprint is exactly the
/// one of the logs its <c>logs</c> table records (each log learnt whole or not at all), and every
/// anomalous check has exactly one alert. The next run goes on from what the killed one left.
/// </summary>
public sealed class KillTests : IDisposable
{
    private const int TrainKills = 70;
    private const int CheckKills = 40;
    private const int SigKillExit = 128 + 9;

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(90);

    private readonly string _root = Directory.CreateTempSubdirectory("sysprint-reliability-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Train_killed_at_random_points_leaves_each_log_learnt_whole_or_not_at_all()
    {
        Corpus corpus = Corpus.Create(Path.Combine(_root, "logs"), count: 30, lines: 1500, seed: 1);
        string db = Path.Combine(_root, "train.db");
        string[] train = ["train", "--db", db, corpus.Directory];
        await RunToEnd(train, expectedExit: 0);
        StoreState.Read(db)!.AssertConsistent(corpus, "after an undisturbed train");
        Assert.Equal(corpus.Logs.Count, StoreState.Read(db)!.LearntSha256.Count);
        DeleteStore(db);

        var random = new Random(20261126);
        int kills = 0;
        int midway = 0;
        for (int attempt = 0; kills < TrainKills && attempt < TrainKills * 4; attempt++)
        {
            int before = StoreState.Read(db)?.LearntSha256.Count ?? 0;
            if (before == corpus.Logs.Count)
            {
                DeleteStore(db);
                before = 0;
            }

            // Killed once the k-th log of this run was learnt, a few ms into the next; k = 0 kills during start-up.
            int k = random.Next(corpus.Logs.Count - before);
            bool killed = await RunAndKill(train, db, "SELECT COUNT(*) FROM logs", k == 0 ? 0 : before + k, random, expectedExit: 0);
            StoreState? state = StoreState.Read(db);
            state?.AssertConsistent(corpus, $"train attempt {attempt}, {(killed ? "killed" : "finished")}");
            if (killed)
            {
                kills++;
                int after = state?.LearntSha256.Count ?? 0;
                midway += after > before && after < corpus.Logs.Count ? 1 : 0;
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"train: {kills} kill points, {midway} of them with some but not all logs learnt");
        Assert.Equal(TrainKills, kills);
        Assert.True(midway >= TrainKills / 5, $"only {midway} of {kills} kills landed while logs were being learnt");
    }

    [Fact]
    public async Task Check_killed_at_random_points_leaves_the_fingerprint_alone_and_one_alert_per_anomalous_check()
    {
        Corpus normal = Corpus.Create(Path.Combine(_root, "normal"), count: 15, lines: 200, seed: 1);
        Corpus suspects = Corpus.Create(Path.Combine(_root, "suspects"), count: 15, lines: 3000, seed: 100);
        int logs = normal.Logs.Count + suspects.Logs.Count;
        string db = Path.Combine(_root, "check.db");
        await RunToEnd(["train", "--db", db, "--quiet", normal.Directory], expectedExit: 0);
        string[] check = ["check", "--db", db, suspects.Directory, normal.Directory];
        await RunToEnd(check, expectedExit: 1);
        StoreState first = StoreState.Read(db)!;
        first.AssertConsistent(normal, "after an undisturbed check");
        Assert.Equal(logs, first.Checks);

        var random = new Random(4242);
        int kills = 0;
        int midway = 0;
        int checks = first.Checks;
        for (int attempt = 0; kills < CheckKills && attempt < CheckKills * 4; attempt++)
        {
            int k = random.Next(logs);
            bool killed = await RunAndKill(check, db, "SELECT COUNT(*) FROM checks", k == 0 ? 0 : checks + k, random, expectedExit: 1);
            StoreState state = StoreState.Read(db)!;
            state.AssertConsistent(normal, $"check attempt {attempt}, {(killed ? "killed" : "finished")}");
            Assert.Equal(normal.Logs.Count, state.LearntSha256.Count);
            Assert.InRange(state.Checks - checks, killed ? 0 : logs, logs);
            if (killed)
            {
                kills++;
                midway += state.Checks - checks > 0 && state.Checks - checks < logs ? 1 : 0;
            }

            checks = state.Checks;
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"check: {kills} kill points, {midway} of them with some but not all checks recorded");
        Assert.Equal(CheckKills, kills);
        Assert.True(midway >= CheckKills / 5, $"only {midway} of {kills} kills landed while checks were being recorded");
    }

    private static async Task RunToEnd(string[] args, int expectedExit)
    {
        (int exit, string stdout, string stderr) = await SysprintProcess.RunAsync(s_timeout, args);
        Assert.True(exit == expectedExit, $"sysprint {string.Join(' ', args)}: exit {exit}\n{stdout}\n{stderr}");
    }

    /// <summary>
    /// Starts sysprint and kills it with SIGKILL 0 to 5 ms after <paramref name="progress"/> (a
    /// count in the store, polled) reached <paramref name="target"/>, or 0 to 120 ms after its
    /// start when the target is 0 (start-up, store creation); true when the kill landed before it finished.
    /// </summary>
    private static async Task<bool> RunAndKill(string[] args, string db, string progress, int target, Random random, int expectedExit)
    {
        using Process process = SysprintProcess.Start(args);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        if (target == 0)
        {
            await Task.Delay(random.Next(120), TestContext.Current.CancellationToken);
        }
        else
        {
            while (!process.HasExited && StoreState.Count(db, progress) < target)
            {
                await Task.Delay(1, TestContext.Current.CancellationToken);
            }

            await Task.Delay(random.Next(6), TestContext.Current.CancellationToken);
        }

        try
        {
            process.Kill();
        }
        catch (InvalidOperationException)
        {
            // It had already exited.
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(s_timeout);
        await process.WaitForExitAsync(limit.Token);
        string error = await stderr;
        await stdout;
        if (process.ExitCode == SigKillExit)
        {
            return true;
        }

        Assert.True(process.ExitCode == expectedExit, $"sysprint {string.Join(' ', args)}: exit {process.ExitCode}\n{error}");
        return false;
    }

    private static void DeleteStore(string db)
    {
        foreach (string suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(db + suffix);
        }
    }
}

using System.Diagnostics;
using System.Text.Json;

namespace Sysprint.Reliability.Tests;

/// <summary>
/// <c>train</c>, <c>check</c> and <c>watch</c> killed with SIGKILL at random points, many times, on
/// one store: after each kill the store passes <c>PRAGMA integrity_check</c>, its fingerprint is
/// exactly the one of the logs its <c>logs</c> table records (each log learnt whole or not at all,
/// with its window counts), every anomalous check has exactly one alert, and the agent's outbox
/// holds each alert once. The next run goes on from what the killed one left.
/// </summary>
public sealed class KillTests : IDisposable
{
    private const int TrainKills = 70;
    private const int CheckKills = 40;
    private const int WatchKills = 50;
    private const int WatchSeed = 20261127;
    private const int SigKillExit = 128 + 9;

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(90);

    private readonly TempDir _temp = new("sysprint-reliability-");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Train_killed_at_random_points_leaves_each_log_learnt_whole_or_not_at_all()
    {
        Corpus corpus = Corpus.Create(Path.Combine(_temp.Root, "logs"), count: 30, lines: 1500, seed: 1);
        string db = Path.Combine(_temp.Root, "train.db");
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

            // Killed once the k-th log of this run was learnt, a few ms into the next; one kill in 8
            // during start-up. (Drawn apart: a start-up kill chosen as k = 0 came ever more often as
            // the store filled, and a run with one log left was killed in start-up again and again.)
            bool startUp = random.Next(8) == 0;
            int k = 1 + random.Next(corpus.Logs.Count - before);
            bool killed = await RunAndKill(train, db, "SELECT COUNT(*) FROM logs", startUp ? 0 : before + k, random, expectedExit: 0);
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
        Corpus normal = Corpus.Create(Path.Combine(_temp.Root, "normal"), count: 15, lines: 200, seed: 1);
        Corpus suspects = Corpus.Create(Path.Combine(_temp.Root, "suspects"), count: 15, lines: 3000, seed: 100);
        int logs = normal.Logs.Count + suspects.Logs.Count;
        string db = Path.Combine(_temp.Root, "check.db");
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

    [Fact]
    public async Task Watch_killed_at_random_points_and_restarted_loses_and_repeats_no_alert()
    {
        string normal = Path.Combine(_temp.Root, "normal.strace");
        await File.WriteAllTextAsync(normal, Spool.NormalLog(100, 3), TestContext.Current.CancellationToken);
        string db = Path.Combine(_temp.Root, "watch.db");
        string reference = Path.Combine(_temp.Root, "reference.db");
        await RunToEnd(["train", "--db", db, "--quiet", normal], expectedExit: 0);
        await RunToEnd(["train", "--db", reference, "--quiet", normal], expectedExit: 0);
        Spool spool = Spool.Plan(Path.Combine(_temp.Root, "spool"), vms: 4, logsPerVm: 3, cycles: 100, anomalies: 5, WatchSeed);
        string jsonl = Path.Combine(_temp.Root, "alerts.jsonl");
        string[] watch = ["watch", "--db", db, "--quiet", "--alerts-jsonl", jsonl, spool.Directory];
        var clock = Stopwatch.StartNew();
        Task writing = spool.WriteAsync(TimeSpan.FromMilliseconds(60), maxChunk: 8, WatchSeed + 1, TestContext.Current.CancellationToken);

        var random = new Random(WatchSeed);
        int[] byMoment = new int[3];
        int whileWriting = 0;
        int working = 0;
        int pending = 0;
        int writtenNotMarked = 0;
        int stored = 0;
        for (int kill = 0; kill < WatchKills; kill++)
        {
            string when = $"watch kill {kill} (seed {WatchSeed})";
            int moment = random.Next(3);
            bool writerBusy = !writing.IsCompleted;
            await RunAndKillWatch(watch, jsonl, moment, random, when);
            OutboxState state = OutboxState.Read(db, jsonl);
            state.AssertConsistent(when);
            byMoment[moment]++;
            working += state.AlertIds.Count > stored ? 1 : 0;
            stored = state.AlertIds.Count;
            whileWriting += writerBusy ? 1 : 0;
            pending += state.Pending > 0 ? 1 : 0;
            writtenNotMarked += state.WrittenNotMarked > 0 ? 1 : 0;
        }

        await writing;
        HashSet<string> expected = await ExpectedMismatches(reference, spool);
        await RunWatchToTheEnd(watch, db, jsonl, expected.Count, $"the last watch run (seed {WatchSeed})");
        OutboxState end = OutboxState.Read(db, jsonl);
        end.AssertConsistent($"after the last watch run (seed {WatchSeed})");
        HashSet<string> delivered = DeliveredMismatches(jsonl);

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"watch: {WatchKills} kill points (seed {WatchSeed}), {whileWriting} while the logs were being written: " +
            $"{byMoment[0]} in start-up (0-300 ms), {byMoment[1]} while reading (0.3-1.5 s), {byMoment[2]} 0-2 ms after an alert reached the jsonl file; " +
            $"{working} after the run had stored new alerts, {pending} with alerts stored but not yet delivered, {writtenNotMarked} with an alert written but not yet marked delivered; " +
            $"{expected.Count} alerts expected, {end.FileIds.Count} in the file, {end.AlertIds.Count} in the outbox; {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(expected.Count >= 60, $"seed {WatchSeed}: only {expected.Count} mismatches in the spool's logs");
        Assert.True(end.Pending == 0, $"seed {WatchSeed}: {end.Pending} alerts still pending for the jsonl sink after the last run");
        Assert.True(end.AlertIds.Count == expected.Count, $"seed {WatchSeed}: the outbox holds {end.AlertIds.Count} alerts, the logs have {expected.Count} distinct mismatches");
        Assert.True(end.FileIds.Count == expected.Count, $"seed {WatchSeed}: the jsonl file holds {end.FileIds.Count} alerts, the logs have {expected.Count} distinct mismatches");
        string[] lost = [.. expected.Except(delivered).Order(StringComparer.Ordinal)];
        string[] extra = [.. delivered.Except(expected).Order(StringComparer.Ordinal)];
        Assert.True(lost.Length == 0 && extra.Length == 0,
            $"seed {WatchSeed}: {lost.Length} mismatches never alerted (first: {lost.FirstOrDefault()}), {extra.Length} alerts that check does not find (first: {extra.FirstOrDefault()})");
        // New alerts can only be stored while the logs are still being written: on a loaded machine
        // each kill cycle is slower and the writer ends after fewer of them (11 of 50 in a loaded CI
        // run), so the bar is half of the kills made while it wrote, and at least 3, up to a fifth of all.
        int wanted = Math.Min(WatchKills / 5, Math.Max(3, whileWriting / 2));
        Assert.True(working >= wanted, $"seed {WatchSeed}: only {working} of {WatchKills} kills ({whileWriting} while the logs were written) landed after the run had raised alerts");
    }

    /// <summary>The distinct mismatches of the spool's finished logs, as <c>check --json</c> gives them: the alerts owed.</summary>
    private static async Task<HashSet<string>> ExpectedMismatches(string db, Spool spool)
    {
        (int exit, string stdout, string stderr) = await SysprintProcess.RunAsync(s_timeout, ["check", "--db", db, "--json", .. spool.Logs]);
        Assert.True(exit == 1, $"check --json of the spool: exit {exit}\n{stderr}");
        var mismatches = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var verdict = JsonDocument.Parse(line);
            JsonElement root = verdict.RootElement;
            Assert.False(root.GetProperty("details_truncated").GetBoolean(), line);
            string log = root.GetProperty("log").GetString()!;
            foreach (JsonElement detail in root.GetProperty("details").EnumerateArray())
            {
                mismatches.Add(Mismatch(log, detail.GetProperty("line").GetInt64(), detail.GetProperty("prev").GetString(), detail.GetProperty("next").GetString()));
            }
        }

        return mismatches;
    }

    /// <summary>The mismatches the alerts of a jsonl sink's file name.</summary>
    private static HashSet<string> DeliveredMismatches(string jsonl)
    {
        var mismatches = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in File.ReadAllLines(jsonl))
        {
            using var alert = JsonDocument.Parse(line);
            JsonElement fields = alert.RootElement.GetProperty("output_fields");
            mismatches.Add(Mismatch(
                fields.GetProperty("log.name").GetString()!,
                fields.GetProperty("log.line").GetInt64(),
                fields.GetProperty("mismatch.prev").GetString(),
                fields.GetProperty("mismatch.next").GetString()));
        }

        return mismatches;
    }

    private static string Mismatch(string log, long line, string? prev, string? next) =>
        $"{log}:{line}: {prev ?? "(start)"} -> {next}";

    /// <summary>
    /// Starts <c>watch</c> and kills it with SIGKILL at a <paramref name="moment"/>: 0, in start-up
    /// (0 to 300 ms after the process started); 1, while it reads and alerts (0 to 1.2 s after it
    /// said it watches); 2, 0 to 2 ms after the jsonl file grew once it watches (an alert written,
    /// its delivery being marked), or 2 s after it watches without one.
    /// </summary>
    private static async Task RunAndKillWatch(string[] args, string jsonl, int moment, Random random, string when)
    {
        using SysprintProcess process = SysprintProcess.Start(args);
        switch (moment)
        {
            case 0:
                await Task.Delay(random.Next(300), TestContext.Current.CancellationToken);
                break;
            case 1:
                await WaitReady(process, when);
                await Task.Delay(random.Next(1200), TestContext.Current.CancellationToken);
                break;
            default:
                await WaitReady(process, when);
                long length = FileLength(jsonl);
                var wait = Stopwatch.StartNew();
                while (!process.HasExited && FileLength(jsonl) == length && wait.ElapsedMilliseconds < 2000)
                {
                    await Task.Delay(1, TestContext.Current.CancellationToken);
                }

                await Task.Delay(random.Next(3), TestContext.Current.CancellationToken);
                break;
        }

        bool running = !process.HasExited;
        process.Signal(SysprintProcess.SigKill);
        int exit = await process.WaitForExitAsync(s_timeout);
        Assert.True(running && exit == SigKillExit, $"{when}: watch exited with {exit} before it was killed\n{process.Error}");
    }

    /// <summary>
    /// The agent logs one line once it watches ("watching SPOOL; profile ..."): moments 1 and 2
    /// count from there, so a slow start on a loaded machine does not make every kill a start-up kill.
    /// </summary>
    private static async Task WaitReady(SysprintProcess process, string when)
    {
        await process.WaitForErrorAsync(" watching ", s_timeout);
        Assert.False(process.HasExited, $"{when}: watch exited before it was watching");
    }

    /// <summary>
    /// Runs <c>watch</c> until the outbox holds <paramref name="alerts"/> alerts, all delivered to
    /// the jsonl file, then stops it with SIGTERM: it must exit 0.
    /// </summary>
    private static async Task RunWatchToTheEnd(string[] args, string db, string jsonl, int alerts, string when)
    {
        using SysprintProcess process = SysprintProcess.Start(args);
        // Started for real before anything is judged: the alerts of the earlier runs are delivered
        // already, so "delivered" alone could be true before this run has read anything.
        await process.WaitForErrorAsync("watching ", s_timeout);
        var wait = Stopwatch.StartNew();
        bool delivered = false;
        while (!process.HasExited && !delivered && wait.Elapsed < s_timeout)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
            delivered = StoreState.Count(db, "SELECT COUNT(*) FROM agent_deliveries WHERE delivered_at IS NOT NULL") >= alerts
                && StoreState.Count(db, "SELECT COUNT(*) FROM agent_deliveries WHERE delivered_at IS NULL") == 0
                && FileLines(jsonl) >= alerts;
        }

        // A second more: an alert beyond those expected would show now.
        await Task.Delay(1000, TestContext.Current.CancellationToken);
        bool running = !process.HasExited;
        process.Signal(SysprintProcess.SigTerm);
        int exit = await process.WaitForExitAsync(s_timeout);
        Assert.True(running, $"{when}: watch exited with {exit} before it was stopped\n{process.Error}");
        Assert.True(delivered, $"{when}: {alerts} alerts not all delivered within {s_timeout.TotalSeconds} s");
        Assert.True(exit == 0, $"{when}: SIGTERM, exit {exit}\n{process.Error}");
    }

    private static long FileLength(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    private static int FileLines(string path) => File.Exists(path) ? File.ReadAllLines(path).Length : 0;

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
        using SysprintProcess process = SysprintProcess.Start(args);
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

        // Once it has exited, the signal finds no process (or a zombie): the exit code tells.
        process.Signal(SysprintProcess.SigKill);
        int exit = await process.WaitForExitAsync(s_timeout);
        if (exit == SigKillExit)
        {
            return true;
        }

        Assert.True(exit == expectedExit, $"sysprint {string.Join(' ', args)}: exit {exit}\n{process.Error}");
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

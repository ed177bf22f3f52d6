namespace Sysprint.Reliability.Tests;

/// <summary>
/// <c>train</c> and <c>check</c> processes on one store at once (WAL, busy timeouts): none ever
/// surfaces "database is locked", and the store ends intact with the fingerprint of its logs.
/// </summary>
public sealed class ConcurrencyTests : IDisposable
{
    private const int Rounds = 8;

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(90);

    private readonly TempDir _temp = new("sysprint-reliability-");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Concurrent_train_and_check_on_one_store_never_report_it_locked()
    {
        Corpus corpus = Corpus.Create(Path.Combine(_temp.Root, "logs"), count: 6 + (3 * Rounds), lines: 2000, seed: 7);
        string db = Path.Combine(_temp.Root, "shared.db");
        string[] first = ["train", "--db", db, "--quiet", .. corpus.Logs.Take(6)];
        Assert.Equal(0, (await SysprintProcess.RunAsync(s_timeout, first)).Exit);

        int processes = 0;
        for (int round = 0; round < Rounds; round++)
        {
            string[] fresh = [.. corpus.Logs.Skip(6 + (3 * round)).Take(3)];
            string[] checkLogs = [.. corpus.Logs.Take(6 + (3 * round))];
            var runs = new List<(string Command, Task<(int Exit, string Out, string Error)> Run)>
            {
                // The same new logs twice: both race to learn them, one must win cleanly.
                ("train", SysprintProcess.RunAsync(s_timeout, ["train", "--db", db, .. fresh])),
                ("train", SysprintProcess.RunAsync(s_timeout, ["train", "--db", db, .. fresh])),
                ("check", SysprintProcess.RunAsync(s_timeout, ["check", "--db", db, .. checkLogs])),
                ("check", SysprintProcess.RunAsync(s_timeout, ["check", "--db", db, "--json", .. checkLogs])),
            };
            foreach ((string command, Task<(int Exit, string Out, string Error)> run) in runs)
            {
                (int exit, string stdout, string stderr) = await run;
                processes++;
                Assert.DoesNotContain("locked", stderr, StringComparison.OrdinalIgnoreCase);
                Assert.True(command == "train" ? exit == 0 : exit is 0 or 1, $"round {round}: {command} exit {exit}\n{stdout}\n{stderr}");
            }

            StoreState.Read(db)!.AssertConsistent(corpus, $"after round {round}");
        }

        StoreState end = StoreState.Read(db)!;
        Assert.Equal(corpus.Logs.Count, end.LearntSha256.Count);
        TestContext.Current.TestOutputHelper?.WriteLine($"concurrency: {Rounds} rounds, {processes} processes (2 train + 2 check at once), no locked store");
    }
}

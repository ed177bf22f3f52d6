using Sysprint.Storage.Sqlite;

namespace Sysprint.Storage.Tests.Sqlite;

/// <summary>Separate connections on one file behave as separate processes do: SQLite locks the file.</summary>
public sealed class SqliteFingerprintStoreConcurrencyTests : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Training_and_checking_at_once_never_find_the_store_locked()
    {
        const int Rounds = 150;
        using (SqliteFingerprintStore setup = _temp.Open())
        {
            setup.CreateProfile("p", 2, "stide", 0);
        }

        CancellationToken cancel = TestContext.Current.CancellationToken;
        using var start = new Barrier(2);
        Task trainer = Run(() =>
        {
            using SqliteFingerprintStore store = _temp.Open(createIfMissing: false);
            ProfileInfo profile = store.FindProfile("p")!;
            start.SignalAndWait(cancel);
            for (int i = 0; i < Rounds; i++)
            {
                int[][] grams = [[i], [i, i + 1], [i + 1, i]];
                store.LearnLog(profile, SqliteFingerprintStoreTests.Log($"{i}.strace", $"sha{i}"), grams, [new(100_000 + i, $"Nt{i}")]);
            }
        });
        Task checker = Run(() =>
        {
            using SqliteFingerprintStore store = _temp.Open(createIfMissing: false);
            ProfileInfo profile = store.FindProfile("p")!;
            start.SignalAndWait(cancel);
            for (int i = 0; i < Rounds; i++)
            {
                store.LoadFingerprint(profile);
                store.RecordCheck(SqliteFingerprintStoreTests.Check($"{i}.strace", anomalous: i % 2 == 0, DateTimeOffset.UtcNow));
                store.GetStats();
            }
        });

        await Task.WhenAll(trainer, checker);

        using SqliteFingerprintStore reopened = _temp.Open(createIfMissing: false);
        StoreStats stats = reopened.GetStats();
        Assert.Equal(Rounds, stats.Profiles[0].Logs);
        Assert.Equal(Rounds * 3, stats.Profiles[0].Grams);
        Assert.Equal(Rounds, stats.LearntNames);
        Assert.Equal(Rounds, stats.Checks);
        Assert.Equal(Rounds / 2, stats.Alerts);
    }

    [Fact]
    public async Task Processes_creating_the_same_store_at_once_share_one_schema()
    {
        const int Openers = 6;
        CancellationToken cancel = TestContext.Current.CancellationToken;
        using var start = new Barrier(Openers);

        Task<ProfileInfo>[] openers = [.. Enumerable.Range(0, Openers).Select(_ => Run(() =>
        {
            start.SignalAndWait(cancel);
            using SqliteFingerprintStore store = _temp.Open(createIfMissing: true);
            return store.CreateProfile(ProfileInfo.DefaultName, 2, "stide", 0);
        }))];
        ProfileInfo[] profiles = await Task.WhenAll(openers);

        Assert.Single(profiles.Distinct());
        Assert.Equal(4L, _temp.Scalar("PRAGMA user_version"));
        Assert.Equal(1L, _temp.Scalar("SELECT COUNT(*) FROM meta WHERE key = 'created'"));
    }

    // Each worker blocks on a barrier: dedicated threads, so the pool's slow growth cannot delay it.
    private static Task Run(Action work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static Task<T> Run<T>(Func<T> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}

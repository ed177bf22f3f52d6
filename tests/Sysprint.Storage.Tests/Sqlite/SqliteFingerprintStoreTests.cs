using Sysprint.Storage.Sqlite;

namespace Sysprint.Storage.Tests.Sqlite;

/// <summary>What the SQLite store does beyond the contract (tests/Sysprint.Storage.Contract): its file's formats and schema.</summary>
public sealed class SqliteFingerprintStoreTests : IDisposable
{
    private static readonly DateTimeOffset s_t0 = new(2025, 3, 1, 9, 30, 0, TimeSpan.FromHours(2));

    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Stats_of_a_new_store_are_empty()
    {
        using SqliteFingerprintStore store = _temp.Open();

        StoreStats stats = store.GetStats();

        Assert.Equal(new StoreStats(4, "", 0, 0, stats.Profiles, 0, 0, 0), stats);
        Assert.Empty(stats.Profiles);
    }

    [Fact]
    public void Times_are_stored_as_utc_round_trip_text()
    {
        using (SqliteFingerprintStore store = _temp.Open())
        {
            ProfileInfo profile = store.CreateProfile("p", 2, "stide", 0);
            store.LearnLog(profile, Log("a.strace", "aa"), [], []);
        }

        Assert.Equal("2025-03-01T07:30:00.0000000+00:00", _temp.Scalar("SELECT learnt_at FROM logs"));
    }

    [Fact]
    public void Grams_are_stored_as_numbers_separated_by_spaces()
    {
        using (SqliteFingerprintStore store = _temp.Open())
        {
            ProfileInfo profile = store.CreateProfile("p", 3, "stide", 0);
            store.LearnLog(profile, Log("a.strace", "aa"), [[257, 0, 3]], []);
        }

        Assert.Equal("257 0 3", _temp.Scalar("SELECT gram FROM grams"));
    }

    [Fact]
    public void A_malformed_stored_gram_is_reported_as_a_corrupt_store()
    {
        long profileId;
        using (SqliteFingerprintStore store = _temp.Open())
        {
            ProfileInfo profile = store.CreateProfile("p", 2, "stide", 0);
            store.LearnLog(profile, Log("a.strace", "aa"), [[1]], []);
            profileId = profile.Id;
        }

        _temp.Execute($"INSERT INTO grams (profile_id, gram, first_log_id) VALUES ({profileId}, '1 2 3', 1)");
        using SqliteFingerprintStore reopened = _temp.Open();
        var ex = Assert.Throws<Sysprint.Diagnostics.SysprintException>(() => reopened.LoadFingerprint(reopened.FindProfile("p")!));

        Assert.Equal(Sysprint.Diagnostics.ErrorKind.StoreUnavailable, ex.Kind);
        Assert.Equal($"{_temp.Path}: the store is corrupt: profile 'p' (window 2) holds the gram '1 2 3'", ex.Message);
    }

    internal static LearntLog Log(string path, string sha256) => new(path, 1234, sha256, 50, 3, 7, s_t0);

    internal static CheckRecord Check(string log, bool anomalous, DateTimeOffset time) =>
        new(log, "vm-7", "default", "stide", anomalous, 1000, 4, 0.004, "4 unknown transitions", """[{"gram":"1 2"}]""", time);
}

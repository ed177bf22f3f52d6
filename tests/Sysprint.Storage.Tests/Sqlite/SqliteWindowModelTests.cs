using Sysprint.Detection;
using Sysprint.Storage.Sqlite;

namespace Sysprint.Storage.Tests.Sqlite;

/// <summary>The window detectors' model: what train adds per log and what check loads back.</summary>
public sealed class SqliteWindowModelTests : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly int[][] s_logs =
    [
        [59, 12, 9, 257, 0, 3, 1, 231],
        [59, 12, 9, 257, 0, 3, 0, 3, 1, 1, 231],
        [59, 12, 41, 42, 1, 231],
        [59, 12, 9, 257, 0, 3, 1, 231],
    ];

    [Fact]
    public void Logs_added_one_by_one_load_back_as_one_model_learnt_from_all_of_them()
    {
        var direct = new SubstringModel();
        using (SqliteFingerprintStore store = _temp.Open())
        {
            ProfileInfo profile = store.CreateProfile("p", 2, "paper", 0);
            for (int i = 0; i < s_logs.Length; i++)
            {
                var own = new SubstringModel();
                own.Learn(s_logs[i]);
                long id = store.LearnLog(profile, SqliteFingerprintStoreTests.Log($"{i}.strace", $"sha{i}") with { Syscalls = s_logs[i].Length }, [], [], own);
                direct.Learn(s_logs[i], (int)id);
            }
        }

        using SqliteFingerprintStore reopened = _temp.Open(createIfMissing: false);
        StoredWindowModel stored = reopened.LoadWindowModel(reopened.FindProfile("p")!);

        Assert.Equal(0, stored.LogsWithoutWindows);
        Assert.Equal(s_logs.Select(l => (long)l.Length), stored.Logs.Select(l => l.Calls));
        Assert.Equal(Windows(direct), Windows(stored.Model));
        Assert.Equal(
            direct.NovelWhenLeftOut().OrderBy(p => p.Key).Select(p => (p.Key, string.Join(',', p.Value))),
            stored.Model.NovelWhenLeftOut().OrderBy(p => p.Key).Select(p => (p.Key, string.Join(',', p.Value))));

        // One vocabulary per log, each sorted; logs 0, 1 and 3 use the same calls.
        Assert.Equal(["0,1,3,9,12,59,231,257", "0,1,3,9,12,59,231,257", "1,12,41,42,59,231", "0,1,3,9,12,59,231,257"],
            stored.Vocabularies.Select(v => string.Join(',', v)));
    }

    [Fact]
    public void A_log_learnt_without_windows_is_counted_so_check_can_refuse_an_incomplete_model()
    {
        using SqliteFingerprintStore store = _temp.Open();
        ProfileInfo profile = store.CreateProfile("p", 2, "paper", 0);
        var own = new SubstringModel();
        own.Learn(s_logs[0]);
        store.LearnLog(profile, SqliteFingerprintStoreTests.Log("a.strace", "aa"), [], [], own);
        store.LearnLog(profile, SqliteFingerprintStoreTests.Log("import:b", "bb"), [], []);

        StoredWindowModel stored = store.LoadWindowModel(profile);

        Assert.Equal(1, stored.LogsWithoutWindows);
        Assert.Single(stored.Logs);
    }

    [Fact]
    public void Windows_of_one_profile_stay_out_of_another()
    {
        using SqliteFingerprintStore store = _temp.Open();
        ProfileInfo a = store.CreateProfile("a", 2, "paper", 0);
        ProfileInfo b = store.CreateProfile("b", 2, "paper", 0);
        var own = new SubstringModel();
        own.Learn(s_logs[2]);
        store.LearnLog(a, SqliteFingerprintStoreTests.Log("a.strace", "aa"), [], [], own);

        Assert.Equal(0, store.LoadWindowModel(b).Model.CallCount);
        Assert.Equal(6, store.LoadWindowModel(a).Model.CallCount);
    }

    [Fact]
    public void A_damaged_window_row_is_reported_as_a_corrupt_store()
    {
        using (SqliteFingerprintStore store = _temp.Open())
        {
            ProfileInfo profile = store.CreateProfile("p", 2, "paper", 0);
            var own = new SubstringModel();
            own.Learn(s_logs[0]);
            store.LearnLog(profile, SqliteFingerprintStoreTests.Log("a.strace", "aa"), [], [], own);
        }

        _temp.Execute("UPDATE log_windows SET windows = x'0101000501'");

        using SqliteFingerprintStore reopened = _temp.Open(createIfMissing: false);
        var ex = Assert.Throws<Diagnostics.SysprintException>(() => reopened.LoadWindowModel(reopened.FindProfile("p")!));
        Assert.Equal(Diagnostics.ErrorKind.StoreUnavailable, ex.Kind);
        Assert.Equal($"{_temp.Path}: the store is corrupt: the windows of log 1: stored windows end in the middle of a number", ex.Message);
    }

    private static List<string> Windows(SubstringModel model)
    {
        var all = new List<string>();
        model.ForEachWindow((calls, count, starts, traces, owner) =>
            all.Add($"{string.Join(',', calls.ToArray())} n={count} s={starts} t={traces} o={(traces == 1 ? owner : -1)}"));
        all.Sort(StringComparer.Ordinal);
        return all;
    }
}

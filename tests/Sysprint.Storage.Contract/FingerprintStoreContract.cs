using Sysprint.Diagnostics;
using Sysprint.Mapping;
using Sysprint.Model;

namespace Sysprint.Storage.Contract;

/// <summary>
/// The store contract (<see cref="IFingerprintStore"/>) as tests every backend passes. A backend's
/// test project derives a sealed class from this one and says how to open its store; xunit runs
/// these inherited facts against it.
/// </summary>
/// <remarks>
/// xunit makes one instance per test: give each instance its own empty store (a temporary file, a
/// new database or schema) and remove it in <see cref="Dispose(bool)"/>.
/// </remarks>
public abstract class FingerprintStoreContract : IDisposable
{
    private static readonly DateTimeOffset s_t0 = new(2025, 3, 1, 9, 30, 0, TimeSpan.FromHours(2));

    /// <summary>
    /// A new connection to this test's store; the first call creates it empty. Each call returns an
    /// instance of its own (the tests dispose it), so reopening is a second call.
    /// </summary>
    protected abstract IFingerprintStore OpenStore();

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Removes this test's store.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    [Fact]
    public void Mapping_is_null_before_the_first_save()
    {
        using IFingerprintStore store = OpenStore();

        Assert.Null(store.LoadMapping());
    }

    [Fact]
    public void Mapping_and_learnt_names_survive_reopening()
    {
        SyscallTable table = SyscallTable.Builtin("x86_64");
        using (IFingerprintStore store = OpenStore())
        {
            store.SaveMapping(table);
            store.SaveNames([new(100_000, "NtCreateFile"), new(100_001, "NtClose")]);
        }

        using IFingerprintStore reopened = OpenStore();
        SyscallTable? loaded = reopened.LoadMapping();

        Assert.NotNull(loaded);
        Assert.Equal("x86_64", loaded.Source);
        Assert.Equal(table.Entries.Concat([new(100_000, "NtCreateFile"), new(100_001, "NtClose")]), loaded.Entries);
        Assert.Equal("openat", loaded.NameOf(257));
        Assert.Empty(loaded.NewlyLearnt);
        Assert.Equal(100_002, loaded.Learn("NtReadFile"u8));
    }

    [Fact]
    public void Saving_a_name_already_present_keeps_its_number()
    {
        using IFingerprintStore store = OpenStore();
        store.SaveMapping(new SyscallTable("file:tiny.map"));

        store.SaveNames([new(100_000, "NtClose")]);
        store.SaveNames([new(100_007, "NtClose"), new(100_001, "NtOpenKey")]);

        Assert.Equal([new(100_000, "NtClose"), new(100_001, "NtOpenKey")], store.LoadMapping()!.Entries);
        Assert.Equal(2, store.GetStats().LearntNames);
    }

    [Fact]
    public void Saving_a_mapping_replaces_the_previous_one()
    {
        var first = new SyscallTable("file:a.map");
        first.Add(0, "read");
        first.Add(1, "write");
        var second = new SyscallTable("file:b.map");
        second.Add(0, "read");
        second.Add(0, "read_alias");
        using IFingerprintStore store = OpenStore();

        store.SaveMapping(first);
        store.SaveMapping(second);

        SyscallTable loaded = store.LoadMapping()!;
        Assert.Equal("file:b.map", loaded.Source);
        Assert.Equal([new(0, "read"), new(0, "read_alias")], loaded.Entries);
        Assert.Equal(2, store.GetStats().MappingNames);
    }

    [Fact]
    public void Profiles_survive_reopening_ordered_by_name()
    {
        ProfileInfo nginx;
        ProfileInfo all;
        using (IFingerprintStore store = OpenStore())
        {
            nginx = store.CreateProfile("nginx", 3, "stide", 0.25);
            all = store.CreateProfile(ProfileInfo.DefaultName, 2, "transitions", 0);
        }

        using IFingerprintStore reopened = OpenStore();

        Assert.Equal([all, nginx], reopened.ListProfiles());
        Assert.Equal(nginx, reopened.FindProfile("nginx"));
        Assert.Null(reopened.FindProfile("apache"));
        Assert.NotEqual(nginx.Id, all.Id);
        Assert.Equal(TimeSpan.Zero, nginx.Created.Offset);
        Assert.InRange(nginx.Created, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow);
    }

    [Fact]
    public void Setting_the_detector_changes_only_that_profile()
    {
        using IFingerprintStore store = OpenStore();
        ProfileInfo nginx = store.CreateProfile("nginx", 3, "stide", 0.25);
        ProfileInfo other = store.CreateProfile("other", 2, "stide", 0.25);

        store.SetProfileDetector("nginx", "frequency", 0.125);

        Assert.Equal(nginx with { Detector = "frequency", Threshold = 0.125 }, store.FindProfile("nginx"));
        Assert.Equal(other, store.FindProfile("other"));
    }

    [Fact]
    public void Setting_the_detector_of_an_unknown_profile_is_a_usage_error()
    {
        using IFingerprintStore store = OpenStore();

        var ex = Assert.Throws<SysprintException>(() => store.SetProfileDetector("nginx", "stide", 1));

        Assert.Equal(ErrorKind.Usage, ex.Kind);
        Assert.Equal($"{store.Location}: no profile named 'nginx'", ex.Message);
    }

    [Fact]
    public void Creating_an_existing_profile_returns_it_when_the_window_matches()
    {
        using IFingerprintStore store = OpenStore();
        ProfileInfo first = store.CreateProfile("nginx", 3, "stide", 0.25);

        ProfileInfo again = store.CreateProfile("nginx", 3, "frequency", 0.5);

        Assert.Equal(first, again);
        Assert.Single(store.ListProfiles());
    }

    [Fact]
    public void Creating_an_existing_profile_with_another_window_is_a_usage_error()
    {
        using IFingerprintStore store = OpenStore();
        store.CreateProfile("nginx", 3, "stide", 0.25);

        var ex = Assert.Throws<SysprintException>(() => store.CreateProfile("nginx", 4, "stide", 0.25));

        Assert.Equal(ErrorKind.Usage, ex.Kind);
        Assert.Equal($"{store.Location}: profile 'nginx' already exists with window 3, not 4", ex.Message);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(6)]
    public void Loaded_fingerprint_has_the_grams_that_were_learnt(int window)
    {
        Fingerprint learnt = BuildFingerprint(window, seed: window, calls: 3000);
        int[][] grams = [.. learnt.Grams()];
        using (IFingerprintStore store = OpenStore())
        {
            ProfileInfo profile = store.CreateProfile("p", window, "stide", 0);
            store.LearnLog(profile, Log("a.strace", "aa"), grams[..(grams.Length / 2)], []);
            store.LearnLog(profile, Log("b.strace", "bb"), grams[(grams.Length / 2)..], []);
        }

        using IFingerprintStore reopened = OpenStore();
        Fingerprint loaded = reopened.LoadFingerprint(reopened.FindProfile("p")!);

        Assert.Equal(learnt.Grams(), loaded.Grams());
        Assert.Equal(learnt.TransitionCount, loaded.TransitionCount);
        Assert.Equal(learnt.KnownCallCount, loaded.KnownCallCount);
    }

    [Fact]
    public void Deleting_a_profile_removes_its_fingerprint_logs_window_counts_and_seal_and_nothing_else()
    {
        using IFingerprintStore store = OpenStore();
        ProfileInfo gone = store.CreateProfile("gone", 2, "stide", 0);
        ProfileInfo kept = store.CreateProfile("kept", 2, "stide", 0);
        store.LearnLog(gone, Log("a.strace", "aa"), [[0], [0, 1]], [], Windows([0, 1, 0]));
        store.LearnLog(kept, Log("b.strace", "aa"), [[5], [5, 6]], [], Windows([5, 6, 5]));
        store.SetSetting(Sysprint.Integrity.Seal.SettingKey("gone"), "{\"seal\":1}");
        store.SetSetting(Sysprint.Integrity.Seal.SettingKey("kept"), "{\"seal\":2}");

        Assert.True(store.DeleteProfile("gone"));

        Assert.Null(store.FindProfile("gone"));
        Assert.Null(store.ProfileVersion("gone"));
        Assert.Null(store.GetSetting(Sysprint.Integrity.Seal.SettingKey("gone")));
        Assert.Empty(store.ListLearntLogs(gone.Id));
        Assert.Empty(store.LoadFingerprint(gone).Grams());
        Assert.Equal(["kept"], store.ListProfiles().Select(p => p.Name));
        Assert.Equal([[5], [5, 6]], store.LoadFingerprint(kept).Grams());
        Assert.Single(store.ListLogWindows(kept.Id));
        Assert.Equal("{\"seal\":2}", store.GetSetting(Sysprint.Integrity.Seal.SettingKey("kept")));

        // The name is free again, for a fingerprint of its own.
        ProfileInfo again = store.CreateProfile("gone", 3, "stide", 0);
        store.LearnLog(again, Log("c.strace", "aa"), [[7, 8, 9]], []);
        Assert.Equal([[7, 8, 9]], store.LoadFingerprint(again).Grams());
    }

    [Fact]
    public void Replacing_a_profile_writes_the_new_one_whole_with_its_logs_window_counts_names_and_settings()
    {
        using IFingerprintStore store = OpenStore();
        store.SaveMapping(SyscallTable.Builtin("x86_64"));
        ProfileInfo old = store.CreateProfile("p", 2, "stide", 0);
        store.LearnLog(old, Log("old.strace", "old"), [[0], [0, 1]], [], Windows([0, 1, 0]));
        store.SetSetting(Sysprint.Integrity.Seal.SettingKey("p"), "{\"seal\":1}");
        ReplacementLog[] logs =
        [
            new(Log("a.strace", "aa"), [[5], [5, 100_000]], Windows([5, 100_000, 5])),
            new(Log("b.strace", "bb"), [], Windows([5, 5])),
        ];

        bool replaced = store.ReplaceProfile(new ProfileReplacement("p", 3, "paper", 1.5, [new(100_000, "NtCreateFile")], logs,
            [new(Sysprint.Integrity.Seal.SettingKey("p"), "{\"seal\":2}"), new("fleet.profile:p", "digest")]));
        bool created = store.ReplaceProfile(new ProfileReplacement("q", 2, "stide", 0, [], [new(Log("c.strace", "cc"), [[7]], null)], []));

        Assert.True(replaced);
        Assert.False(created);
        ProfileInfo p = store.FindProfile("p")!;
        Assert.Equal((3, "paper", 1.5), (p.Window, p.Detector, p.Threshold));
        Assert.Equal([[5], [5, 100_000]], store.LoadFingerprint(p).Grams());
        Assert.Equal(["aa", "bb"], store.ListLearntLogs(p.Id).Select(l => l.Sha256));
        Assert.Equal(["aa", "bb"], store.ListLogWindows(p.Id).Select(l => l.Sha256));
        Assert.Equal("{\"seal\":2}", store.GetSetting(Sysprint.Integrity.Seal.SettingKey("p")));
        Assert.Equal("digest", store.GetSetting("fleet.profile:p"));
        Assert.True(store.LoadMapping()!.TryGetNumber("NtCreateFile", out int nr) && nr == 100_000);
        Assert.Equal([[7]], store.LoadFingerprint(store.FindProfile("q")!).Grams());
    }

    [Fact]
    public void A_replacement_that_fails_leaves_the_old_profile_as_it_was()
    {
        using IFingerprintStore store = OpenStore();
        ProfileInfo old = store.CreateProfile("p", 2, "stide", 0);
        store.LearnLog(old, Log("old.strace", "old"), [[0], [0, 1]], [], Windows([0, 1, 0]));
        store.SetSetting(Sysprint.Integrity.Seal.SettingKey("p"), "{\"seal\":1}");
        string? before = store.ProfileVersion("p");

        // The second log's gram is longer than the window: found only after the first log was written.
        Assert.Throws<ArgumentException>(() => store.ReplaceProfile(new ProfileReplacement("p", 2, "stide", 0, [],
            [new(Log("a.strace", "aa"), [[5], [5, 6]], null), new(Log("b.strace", "bb"), [[5, 6, 7]], null)], [new("fleet.profile:p", "digest")])));

        Assert.Equal(before, store.ProfileVersion("p"));
        ProfileInfo p = store.FindProfile("p")!;
        Assert.Equal(old.Id, p.Id);
        Assert.Equal([[0], [0, 1]], store.LoadFingerprint(p).Grams());
        Assert.Equal(["old"], store.ListLearntLogs(p.Id).Select(l => l.Sha256));
        Assert.Equal("{\"seal\":1}", store.GetSetting(Sysprint.Integrity.Seal.SettingKey("p")));
        Assert.Null(store.GetSetting("fleet.profile:p"));
    }

    [Fact]
    public void Deleting_a_profile_that_does_not_exist_returns_false()
    {
        using IFingerprintStore store = OpenStore();
        store.CreateProfile("p", 2, "stide", 0);

        Assert.False(store.DeleteProfile("nope"));
        Assert.Equal(["p"], store.ListProfiles().Select(p => p.Name));
    }

    [Fact]
    public void The_profile_version_changes_with_each_learnt_log_detector_seal_and_re_creation_and_only_then()
    {
        using IFingerprintStore store = OpenStore();
        Assert.Null(store.ProfileVersion("p"));
        ProfileInfo profile = store.CreateProfile("p", 2, "stide", 0);
        ProfileInfo other = store.CreateProfile("other", 2, "stide", 0);
        var seen = new List<string?> { store.ProfileVersion("p") };

        store.LearnLog(profile, Log("a.strace", "aa"), [[0], [0, 1]], []);
        seen.Add(store.ProfileVersion("p"));
        store.LearnLog(profile, Log("b.strace", "bb"), [], []);
        seen.Add(store.ProfileVersion("p"));
        string? unchanged = store.ProfileVersion("p");
        store.LearnLog(profile, Log("copy-of-b.strace", "bb"), [[9]], []);
        store.LearnLog(other, Log("c.strace", "cc"), [[3]], []);
        store.SetProfileDetector("other", "paper", 1);
        store.SetSetting(Sysprint.Integrity.Seal.SettingKey("other"), "{}");
        Assert.Equal(unchanged, store.ProfileVersion("p"));
        store.SetProfileDetector("p", "paper", 0);
        seen.Add(store.ProfileVersion("p"));
        store.SetProfileDetector("p", "paper", 2.5);
        seen.Add(store.ProfileVersion("p"));
        store.SetSetting(Sysprint.Integrity.Seal.SettingKey("p"), "{\"v\":1}");
        seen.Add(store.ProfileVersion("p"));
        store.SetSetting(Sysprint.Integrity.Seal.SettingKey("p"), "{\"v\":2}");
        seen.Add(store.ProfileVersion("p"));
        store.DeleteProfile("p");
        ProfileInfo again = store.CreateProfile("p", 2, "paper", 2.5);
        store.LearnLog(again, Log("a.strace", "aa"), [[0], [0, 1]], []);
        store.LearnLog(again, Log("b.strace", "bb"), [], []);
        store.SetSetting(Sysprint.Integrity.Seal.SettingKey("p"), "{\"v\":2}");
        seen.Add(store.ProfileVersion("p"));

        Assert.DoesNotContain(null, seen);
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Fact]
    public void Fingerprints_of_profiles_stay_apart()
    {
        using IFingerprintStore store = OpenStore();
        ProfileInfo a = store.CreateProfile("a", 2, "stide", 0);
        ProfileInfo b = store.CreateProfile("b", 2, "stide", 0);

        store.LearnLog(a, Log("a.strace", "11"), [[0], [0, 1]], []);
        store.LearnLog(b, Log("b.strace", "11"), [[5], [5, 6]], []);

        Assert.Equal([[0], [0, 1]], store.LoadFingerprint(a).Grams());
        Assert.Equal([[5], [5, 6]], store.LoadFingerprint(b).Grams());
    }

    [Fact]
    public void A_gram_learnt_again_keeps_the_log_that_first_brought_it()
    {
        using IFingerprintStore store = OpenStore();
        ProfileInfo profile = store.CreateProfile("p", 2, "stide", 0);

        store.LearnLog(profile, Log("first.strace", "aa"), [[257], [257, 0]], []);
        store.LearnLog(profile, Log("second.strace", "bb"), [[257], [257, 0], [0, 3]], []);

        IReadOnlyDictionary<string, string> origins = store.GramOrigins(profile.Id);
        Assert.Equal(3, origins.Count);
        Assert.Equal("first.strace", origins["257"]);
        Assert.Equal("first.strace", origins["257 0"]);
        Assert.Equal("second.strace", origins["0 3"]);
        Assert.Equal(3, store.GetStats().Profiles[0].Grams);
    }

    [Fact]
    public void Learnt_logs_are_found_by_content_within_their_profile()
    {
        using IFingerprintStore store = OpenStore();
        ProfileInfo profile = store.CreateProfile("p", 2, "stide", 0);
        ProfileInfo other = store.CreateProfile("other", 2, "stide", 0);
        LearntLog first = Log("first.strace", "aa");
        LearntLog second = Log("second.strace", "bb") with { Time = s_t0.AddHours(-1) };

        long firstId = store.LearnLog(profile, first, [[1]], []);
        long secondId = store.LearnLog(profile, second, [[2]], []);

        Assert.Equal(first, store.FindLearntLog(profile.Id, "aa"));
        Assert.Equal(second, store.FindLearntLog(profile.Id, "bb"));
        Assert.Null(store.FindLearntLog(profile.Id, "cc"));
        Assert.Null(store.FindLearntLog(other.Id, "aa"));
        Assert.Equal([first, second], store.ListLearntLogs(profile.Id));
        Assert.Empty(store.ListLearntLogs(other.Id));
        Assert.True(secondId > firstId);
    }

    [Fact]
    public void Learning_a_log_already_learnt_returns_its_id_and_writes_nothing()
    {
        using IFingerprintStore store = OpenStore();
        ProfileInfo profile = store.CreateProfile("p", 2, "stide", 0);
        long id = store.LearnLog(profile, Log("a.strace", "aa"), [[1]], []);

        long again = store.LearnLog(profile, Log("copy-of-a.strace", "aa"), [[1], [1, 2]], [new(100_000, "NtClose")]);

        Assert.Equal(id, again);
        Assert.Equal([Log("a.strace", "aa")], store.ListLearntLogs(profile.Id));
        Assert.Equal([[1]], store.LoadFingerprint(profile).Grams());
        Assert.Equal(0, store.GetStats().LearntNames);
    }

    [Fact]
    public void Learning_saves_the_names_learnt_with_the_log()
    {
        using IFingerprintStore store = OpenStore();
        store.SaveMapping(new SyscallTable("file:empty.map"));
        ProfileInfo profile = store.CreateProfile("p", 2, "stide", 0);

        store.LearnLog(profile, Log("a.nttrace", "aa"), [[100_000]], [new(100_000, "NtCreateFile")]);

        Assert.Equal("NtCreateFile", store.LoadMapping()!.NameOf(100_000));
        Assert.Equal(1, store.GetStats().LearntNames);
    }

    [Fact]
    public void Learning_that_fails_midway_leaves_nothing_behind()
    {
        using IFingerprintStore store = OpenStore();
        store.SaveMapping(new SyscallTable("file:empty.map"));
        ProfileInfo profile = store.CreateProfile("p", 2, "stide", 0);
        int[][] grams = [[1], [1, 2], [2, 3], [1, 2, 3], [3]];

        var ex = Assert.Throws<ArgumentException>(() =>
            store.LearnLog(profile, Log("a.strace", "aa"), grams, [new(100_000, "NtClose")]));

        Assert.Equal("gram 3 holds 3 calls; profile 'p' takes 1 to 2 (Parameter 'newGrams')", ex.Message);
        Assert.Null(store.FindLearntLog(profile.Id, "aa"));
        Assert.Empty(store.ListLearntLogs(profile.Id));
        Assert.Empty(store.GramOrigins(profile.Id));
        Assert.Empty(store.LoadFingerprint(profile).Grams());
        Assert.Empty(store.LoadMapping()!.Entries);
        long retried = store.LearnLog(profile, Log("a.strace", "aa"), grams[..3], []);
        Assert.Equal(3, store.GramOrigins(profile.Id).Count);
        Assert.True(retried > 0);
    }

    [Fact]
    public void Only_anomalous_checks_raise_alerts_listed_newest_first()
    {
        using IFingerprintStore store = OpenStore();

        long normal = store.RecordCheck(Check("ok.strace", anomalous: false, s_t0));
        long older = store.RecordCheck(Check("old.strace", anomalous: true, s_t0.AddMinutes(1)));
        CheckRecord newestCheck = Check("new.strace", anomalous: true, s_t0.AddMinutes(5)) with { Vm = null, Source = AlertSources.Run, Host = "dom0-a" };
        long newest = store.RecordCheck(newestCheck);
        long middle = store.RecordCheck(Check("mid.strace", anomalous: true, s_t0.AddMinutes(3)));

        Assert.Equal(0, normal);
        Assert.All([older, newest, middle], id => Assert.True(id > 0));
        IReadOnlyList<AlertEntry> alerts = store.ListAlerts(new AlertQuery { Limit = 10 });
        Assert.Equal(["new.strace", "mid.strace", "old.strace"], alerts.Select(a => a.Log));
        Assert.Equal(
            new AlertEntry(newest, newestCheck.AlertId, s_t0.AddMinutes(5), "run", "dom0-a", null, "new.strace", "default", "stide", null, 4, "4 unknown transitions",
                """[{"gram":"1 2"}]"""),
            alerts[0]);
        Assert.Equal("vm-7", alerts[1].Vm);
        Assert.Equal("check", alerts[1].Source);
        Assert.Equal([newest], store.ListAlerts(new AlertQuery { Limit = 1 }).Select(a => a.Seq));
        Assert.Empty(store.ListAlerts(new AlertQuery { Limit = 0 }));
    }

    [Fact]
    public void An_alert_is_recorded_once_by_its_id_and_counted_in_the_stats()
    {
        using IFingerprintStore store = OpenStore();
        AlertEntry alert = Alert("0b8e4c1a-6f7e-8d2c-9a41-3c5d7e9f1a2b", s_t0, "watch", "dom0-a", "web-01", "nginx");

        bool first = store.RecordAlert(alert);
        bool again = store.RecordAlert(alert with { Summary = "sent again" });

        Assert.True(first);
        Assert.False(again);
        AlertEntry stored = Assert.Single(store.ListAlerts(new AlertQuery()));
        Assert.Equal(alert with { Seq = stored.Seq }, stored);
        Assert.Equal(1, store.GetStats().Alerts);
    }

    [Fact]
    public void Alerts_are_filtered_by_vm_host_profile_and_time()
    {
        using IFingerprintStore store = OpenStore();
        store.RecordAlert(Alert("00000000-0000-4000-8000-000000000001", s_t0, "watch", "dom0-a", "web-01", "nginx"));
        store.RecordAlert(Alert("00000000-0000-4000-8000-000000000002", s_t0.AddHours(1), "watch", "dom0-b", "web-01", "nginx"));
        store.RecordAlert(Alert("00000000-0000-4000-8000-000000000003", s_t0.AddHours(2), "watch", "dom0-a", "db-01", "postgres"));
        store.RecordCheck(Check("c.strace", anomalous: true, s_t0.AddHours(3)) with { Host = "dom0-a", AlertId = "00000000-0000-4000-8000-000000000004" });

        string[] Ids(AlertQuery query) => [.. store.ListAlerts(query).Select(a => a.Id[^1..])];

        Assert.Equal(["4", "3", "2", "1"], Ids(new AlertQuery()));
        Assert.Equal(["2", "1"], Ids(new AlertQuery { Vm = "web-01" }));
        Assert.Equal(["4", "3", "1"], Ids(new AlertQuery { Host = "dom0-a" }));
        Assert.Equal(["3"], Ids(new AlertQuery { Profile = "postgres" }));
        Assert.Equal(["4", "3"], Ids(new AlertQuery { Since = s_t0.AddHours(2) }));
        Assert.Equal(["4", "3"], Ids(new AlertQuery { Host = "dom0-a", Since = s_t0.AddHours(1) }));
        Assert.Equal(["3"], Ids(new AlertQuery { Host = "dom0-a", Vm = "db-01" }));
        Assert.Equal(["4"], Ids(new AlertQuery { Limit = 1 }));
        Assert.Empty(Ids(new AlertQuery { Vm = "web-01", Profile = "postgres" }));
    }

    private static AlertEntry Alert(string id, DateTimeOffset time, string source, string host, string vm, string profile) =>
        new(0, id, time, source, host, vm, $"/spool/{vm}/a.strace", profile, "paper", null, 1, "Unknown system-call transition open -> socket",
            """[{"line":4,"pid":9783,"prev":"open","next":"socket","count":1,"window":"open socket"}]""");

    [Fact]
    public void Stats_count_what_the_store_holds()
    {
        using IFingerprintStore store = OpenStore();
        var table = new SyscallTable("x86_64");
        table.Add(0, "read");
        table.Add(1, "write");
        table.Add(100_000, "NtClose");
        store.SaveMapping(table);
        ProfileInfo profile = store.CreateProfile("p", 2, "stide", 0.5);
        store.CreateProfile("empty", 3, "frequency", 0.1);
        store.LearnLog(profile, Log("a.strace", "aa") with { Syscalls = 100 }, [[0], [0, 1]], [new(100_001, "NtOpenKey")]);
        store.LearnLog(profile, Log("b.strace", "bb") with { Syscalls = 23, Time = s_t0.AddDays(1) }, [[1]], []);
        store.RecordCheck(Check("x", anomalous: false, s_t0));
        store.RecordCheck(Check("y", anomalous: true, s_t0));

        StoreStats stats = store.GetStats();

        Assert.True(stats.SchemaVersion > 0);
        Assert.Equal("x86_64", stats.MappingSource);
        Assert.Equal(2, stats.MappingNames);
        Assert.Equal(2, stats.LearntNames);
        Assert.Equal(2, stats.Checks);
        Assert.Equal(1, stats.AnomalousChecks);
        Assert.Equal(1, stats.Alerts);
        Assert.Equal(2, stats.Profiles.Count);
        Assert.Equal(new ProfileStats("empty", 3, "frequency", 0.1, 0, 0, 0, null), stats.Profiles[0]);
        Assert.Equal(new ProfileStats("p", 2, "stide", 0.5, 3, 2, 123, s_t0.AddDays(1)), stats.Profiles[1]);
    }

    [Fact]
    public void A_hundred_thousand_grams_load_back()
    {
        const int Count = 100_000;
        var grams = new List<int[]>(Count);
        for (int i = 0; i < Count; i++)
        {
            grams.Add([i % 400, (i / 400) % 250, i % 7]);
        }

        using IFingerprintStore store = OpenStore();
        ProfileInfo profile = store.CreateProfile("big", 3, "stide", 0);
        store.LearnLog(profile, Log("big.strace", "ff"), grams, []);

        Fingerprint loaded = store.LoadFingerprint(profile);

        Assert.Equal(Count, loaded.TransitionCount);
        Assert.True(loaded.Contains([399, 249, 99_999 % 7]));
        Assert.False(loaded.Contains([0, 0, 1]));
    }

    [Fact]
    public void Using_a_disposed_store_throws()
    {
        IFingerprintStore store = OpenStore();

        store.Dispose();

        Assert.Throws<ObjectDisposedException>(() => store.ListProfiles());
    }

    /// <summary>The window counts of one log of these calls (one thread).</summary>
    private static Sysprint.Detection.SubstringModel Windows(int[] calls)
    {
        var model = new Sysprint.Detection.SubstringModel(capacity: 16);
        model.Learn(calls);
        return model;
    }

    protected static LearntLog Log(string path, string sha256) => new(path, 1234, sha256, 50, 3, 7, s_t0);

    protected static CheckRecord Check(string log, bool anomalous, DateTimeOffset time) =>
        new(log, "vm-7", "default", "stide", anomalous, 1000, 4, 0.004, "4 unknown transitions", """[{"gram":"1 2"}]""", time);

    private static Fingerprint BuildFingerprint(int window, int seed, int calls)
    {
        var random = new Random(seed);
        var fingerprint = new Fingerprint(window);
        var recent = new List<int>();
        for (int i = 0; i < calls; i++)
        {
            // A few hot calls and a long tail, like a real trace; some numbers past 4096 and learnt ones.
            int call = random.Next(10) < 8 ? random.Next(20) : random.Next(3) switch { 0 => random.Next(450), 1 => 5000 + random.Next(5), _ => 100_000 + random.Next(3) };
            recent.Add(call);
            if (recent.Count > window)
            {
                recent.RemoveAt(0);
            }

            fingerprint.Add([call]);
            if (recent.Count >= 2)
            {
                fingerprint.Add(recent.ToArray());
            }
        }

        return fingerprint;
    }
}

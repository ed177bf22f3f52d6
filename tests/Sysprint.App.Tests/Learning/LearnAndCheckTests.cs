using Sysprint.App.Alerts;
using Sysprint.App.Checking;
using Sysprint.App.Learning;
using Sysprint.Diagnostics;
using Sysprint.Engine;
using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.App.Tests.Learning;

/// <summary>LearnService, CheckService and AlertService over one real store: what train, check and alerts show.</summary>
public sealed class LearnAndCheckTests : StoreFixture
{
    [Fact]
    public void A_log_learnt_is_normal_and_an_injected_call_is_anomalous_recorded_with_its_alert()
    {
        string normal = Log("normal.strace", Logs.Normal);
        string injected = Log("injected.strace", Logs.Injection(100));
        var learn = new LearnService(Store, Table, new LogReadOptions());

        LearnResult learnt = learn.Learn(normal, "default", window: null);
        List<CheckBatch> batches = [.. new CheckService(Store, Table, new LogReadOptions(), verifier: null)
            .CheckAll([normal, injected], new CheckRequest("default", null, null, "vm-1"), "dom0-test")];
        IReadOnlyList<ListedAlert> alerts = AlertService.List(Store, new AlertQuery(), DateTimeOffset.UtcNow);

        Assert.Null(learnt.Error);
        Assert.Equal(3, learnt.Outcome!.Read!.Syscalls);
        CheckOutcome[] outcomes = [.. batches.SelectMany(b => b.Outcomes)];
        Assert.Equal([(normal, false), (injected, true)], outcomes.Select(o => (o.Path, o.Anomalous)));
        Assert.All(batches, b => Assert.Empty(b.LogErrors));
        ListedAlert alert = Assert.Single(alerts);
        Assert.Equal(("check", "vm-1", "dom0-test", "default", Path.GetFullPath(injected)),
            (alert.Alert.Source, alert.Alert.Vm, alert.Alert.Host, alert.Alert.Profile, alert.Alert.Log));
        Assert.Equal(2, alert.Alert.Mismatches);
    }

    [Fact]
    public void The_same_log_learnt_twice_is_learnt_once()
    {
        string normal = Log("normal.strace", Logs.Normal);
        var learn = new LearnService(Store, Table, new LogReadOptions());

        LearnResult[] results = [.. learn.LearnAll([normal, normal], "default", window: null)];
        LearnSummary summary = learn.Summarise(results);

        Assert.Equal([false, true], results.Select(r => r.Outcome!.AlreadyLearnt));
        Assert.Equal((2, 1, 1, 0), (summary.Logs, summary.Learnt, summary.AlreadyLearnt, summary.Failed));
    }

    [Fact]
    public void A_log_in_no_known_format_is_a_failed_result_with_its_remedy_and_the_store_is_untouched()
    {
        string garbage = Dir.WriteBytes("a.out", [0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0]);
        var learn = new LearnService(Store, Table, new LogReadOptions());

        LearnResult result = learn.Learn(garbage, "default", window: null);

        Assert.Null(result.Outcome);
        Assert.Equal(ErrorKind.MalformedInput, result.Error!.Kind);
        Assert.Equal(
            $"{garbage}:1:1: cannot tell the log format: expected strace, NtTrace, ADFA-LD or UNM lines, found binary data (byte 0x7F at column 1)",
            result.Error.Message);
        Assert.Equal(RemedyKind.NameFormat, result.Error.Remedy?.Kind);
        Assert.Empty(Store.ListProfiles());
    }

    [Fact]
    public void A_log_checked_against_a_profile_never_learnt_fails_with_the_remedy_to_learn_it()
    {
        string normal = Log("normal.strace", Logs.Normal);

        List<CheckBatch> batches = [.. new CheckService(Store, Table, new LogReadOptions(), verifier: null)
            .CheckAll([normal], new CheckRequest("web", null, null, null), "dom0-test")];

        CheckBatch batch = Assert.Single(batches);
        Assert.Empty(batch.Outcomes);
        SysprintException failure = Assert.Single(batch.LogErrors);
        Assert.Equal(ErrorKind.InputMissing, failure.Kind);
        Assert.Equal($"{Location}: no profile 'web' (profiles: none)", failure.Message);
        Assert.Equal(new Remedy(RemedyKind.LearnProfile, "web"), failure.Remedy);
    }
}

using Sysprint.App.Learning;
using Sysprint.App.Profiles;
using Sysprint.Diagnostics;
using Sysprint.Engine;
using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.App.Tests.Profiles;

/// <summary>ProfileService over a real store: what show and profile do.</summary>
public sealed class ProfileServiceTests : StoreFixture
{
    [Fact]
    public void A_profile_not_in_the_store_is_refused_naming_the_profiles_it_has()
    {
        Learn("default", Logs.Normal);

        var ex = Assert.Throws<SysprintException>(() => ProfileService.Find(Store, "nginx"));

        Assert.Equal(ErrorKind.InputMissing, ex.Kind);
        Assert.Equal($"{Location}: no profile 'nginx' (profiles: default)", ex.Message);
    }

    [Fact]
    public void Show_gives_the_profile_with_its_fingerprint()
    {
        Learn("default", Logs.Normal);

        var (info, fingerprint) = ProfileService.Show(Store, "default");

        Assert.Equal("default", info.Name);
        Assert.Equal(3, fingerprint.KnownCallCount);
    }

    [Fact]
    public void A_threshold_calibrated_from_the_learnt_logs_is_for_the_recommended_detector_and_kept_when_set()
    {
        for (int i = 1; i <= 12; i++)
        {
            Learn("default", Logs.NormalLines(100 + i, i) + (i % 3 == 0 ? Logs.Injection(100 + i) : ""), $"run{i}.strace");
        }

        ProfileInfo info = ProfileService.Find(Store, "default");

        Calibration calibration = ProfileService.Calibrate(Store, info, detector: null, rate: 0.25);
        ProfileInfo set = ProfileService.SetDetector(Store, info, calibration.Detector, calibration.Threshold);

        Assert.Equal(Detectors.Recommended, calibration.Detector);
        Assert.InRange(calibration.HeldOut, 2, 12);
        Assert.InRange(calibration.Above, 0, calibration.HeldOut);
        Assert.Equal((calibration.Detector, calibration.Threshold), (set.Detector, set.Threshold));
        Assert.Equal((set.Detector, set.Threshold), (ProfileService.Find(Store, "default").Detector, ProfileService.Find(Store, "default").Threshold));
    }

    [Fact]
    public void Calibration_needs_two_learnt_logs()
    {
        Learn("default", Logs.Normal);
        ProfileInfo info = ProfileService.Find(Store, "default");

        var ex = Assert.Throws<SysprintException>(() => ProfileService.Calibrate(Store, info, "stide", 0.1));

        Assert.Equal(ErrorKind.InputMissing, ex.Kind);
        Assert.Equal(
            $"{Location}: a threshold from the learnt logs alone needs at least 2 learnt logs (a later one is checked against an earlier one); profile 'default' has 1",
            ex.Message);
    }

    [Fact]
    public void A_threshold_alone_keeps_the_detector_and_a_detector_alone_resets_the_threshold()
    {
        Learn("default", Logs.Normal);
        ProfileInfo info = ProfileService.Find(Store, "default");

        ProfileInfo threshold = ProfileService.SetDetector(Store, info, detector: null, threshold: 2);
        ProfileInfo detector = ProfileService.SetDetector(Store, threshold, detector: "stide", threshold: null);

        Assert.Equal((info.Detector, 2.0), (threshold.Detector, threshold.Threshold));
        Assert.Equal(("stide", 0.0), (detector.Detector, detector.Threshold));
    }

    [Fact]
    public void Delete_says_what_the_profile_held_and_it_is_gone()
    {
        Learn("default", Logs.Normal);
        Learn("default", Logs.NormalLines(200, 2), "second.strace");

        DeletedProfile deleted = ProfileService.Delete(Store, "default");

        Assert.Equal(("default", 2), (deleted.Profile, deleted.Logs));
        Assert.True(deleted.Transitions > 0);
        Assert.Empty(Store.ListProfiles());
        Assert.Throws<SysprintException>(() => ProfileService.Delete(Store, "default"));
    }

    private void Learn(string profile, string text, string name = "normal.strace")
    {
        LearnResult result = new LearnService(Store, Table, new LogReadOptions()).Learn(Log(name, text), profile, window: null);
        Assert.Null(result.Error);
    }
}

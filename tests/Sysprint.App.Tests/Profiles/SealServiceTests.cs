using System.Security.Cryptography;
using Sysprint.App.Learning;
using Sysprint.App.Profiles;
using Sysprint.Diagnostics;
using Sysprint.Integrity;
using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.App.Tests.Profiles;

/// <summary>SealService over a real store: a sealed profile verifies with the key's public half until it changes.</summary>
public sealed class SealServiceTests : StoreFixture
{
    [Fact]
    public void A_store_without_profiles_has_nothing_to_seal()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var ex = Assert.Throws<SysprintException>(() => SealService.SealAll(Store, Table, key));

        Assert.Equal(ErrorKind.InputMissing, ex.Kind);
        Assert.Equal($"{Location}: no profiles to seal; learn logs first", ex.Message);
    }

    [Fact]
    public void A_sealed_profile_verifies_and_one_changed_after_is_refused_with_the_remedy_to_seal_it_again()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var learn = new LearnService(Store, Table, new LogReadOptions());
        Assert.Null(learn.Learn(Log("normal.strace", Logs.Normal), "default", window: null).Error);
        var verifier = new SealVerifier(key, "admin.pub");

        SealedProfile sealedProfile = Assert.Single(SealService.SealAll(Store, Table, key));
        ProfileInfo info = Store.FindProfile("default")!;
        verifier.Verify(Store, "default", Store.LoadFingerprint(info), Table);
        Assert.Null(learn.Learn(Log("more.strace", Logs.Injection(100)), "default", window: null).Error);
        var ex = Assert.Throws<SysprintException>(() => verifier.Verify(Store, "default", Store.LoadFingerprint(info), Table));

        Assert.Equal(("default", 1), (sealedProfile.Profile, sealedProfile.WindowLogs));
        Assert.Equal(SealKeys.KeyId(key), sealedProfile.Seal.KeyId);
        Assert.Equal(ErrorKind.Untrusted, ex.Kind);
        Assert.Equal(RemedyKind.SealAgain, ex.Remedy?.Kind);
    }
}

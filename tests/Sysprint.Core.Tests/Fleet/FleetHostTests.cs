using Sysprint.Fleet;

namespace Sysprint.Core.Tests.Fleet;

public sealed class FleetHostTests
{
    private static readonly DateTimeOffset s_seen = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private static FleetHost Host(FleetHeartbeat? beat = null, DateTimeOffset? revoked = null, DateTimeOffset? seen = null) =>
        new(1, "dom0-1", "default", s_seen.AddHours(-1), revoked, seen ?? s_seen, TimeSpan.FromSeconds(30), beat);

    [Theory]
    [InlineData(0, 0, HostState.Ok)]
    [InlineData(44, 0, HostState.Ok)]        // the next beat is due at 30 s; 15 s of grace
    [InlineData(45, 1, HostState.Lagging)]
    [InlineData(104, 2, HostState.Lagging)]
    [InlineData(105, 3, HostState.Silent)]   // more than 2 heartbeats missed
    [InlineData(3600, 119, HostState.Silent)]
    public void State_follows_the_heartbeats_missed(int secondsSinceLastSeen, long missed, HostState state)
    {
        FleetHost host = Host();

        DateTimeOffset now = s_seen.AddSeconds(secondsSinceLastSeen);

        Assert.Equal(missed, host.MissedHeartbeats(now));
        Assert.Equal(state, host.StateAt(now));
    }

    [Fact]
    public void A_host_never_seen_since_enrolling_counts_from_its_enrollment()
    {
        FleetHost host = Host() with { LastSeen = null };

        Assert.Equal(HostState.Silent, host.StateAt(s_seen));
        Assert.Equal(HostState.Ok, host.StateAt(host.Enrolled.AddSeconds(10)));
    }

    [Fact]
    public void Alerts_stuck_behind_a_failing_sink_make_a_punctual_host_lagging()
    {
        var stuck = new FleetHeartbeat("1.0", 0, 3, new Dictionary<string, long> { ["server"] = 4 }, "connection refused");
        var recovered = stuck with { Pending = new Dictionary<string, long> { ["server"] = 0 } };

        Assert.Equal(HostState.Lagging, Host(stuck).StateAt(s_seen));
        Assert.Equal(HostState.Ok, Host(recovered).StateAt(s_seen));
    }

    [Fact]
    public void Revoked_wins_over_every_other_state()
    {
        Assert.Equal(HostState.Revoked, Host(revoked: s_seen).StateAt(s_seen));
        Assert.Equal(HostState.Revoked, Host(revoked: s_seen).StateAt(s_seen.AddDays(1)));
    }

    [Fact]
    public void Secrets_have_their_prefix_and_256_random_bits_and_hash_to_32_bytes()
    {
        string a = FleetSecrets.New(FleetSecrets.EnrollPrefix);
        string b = FleetSecrets.New(FleetSecrets.EnrollPrefix);

        Assert.NotEqual(a, b);
        Assert.True(FleetSecrets.LooksLike(a, FleetSecrets.EnrollPrefix));
        Assert.False(FleetSecrets.LooksLike(a, FleetSecrets.CredentialPrefix));
        Assert.False(FleetSecrets.LooksLike(a[..^1] + "!", FleetSecrets.EnrollPrefix));
        Assert.False(FleetSecrets.LooksLike(a + "x", FleetSecrets.EnrollPrefix));
        Assert.Equal(32, FleetSecrets.Hash(a).Length);
        Assert.Equal(FleetSecrets.Hash(a), FleetSecrets.Hash(a));
    }

    [Theory]
    [InlineData("dom0-1", true)]
    [InlineData("hv01.dc2.example.com", true)]
    [InlineData("host_7", true)]
    [InlineData("", false)]
    [InlineData("-rf", false)]
    [InlineData("a b", false)]
    [InlineData("a/b", false)]
    [InlineData("h\u00e9te", false)]
    public void Host_names_are_dns_like(string name, bool valid)
    {
        Assert.Equal(valid, HostNames.IsValid(name));
    }
}

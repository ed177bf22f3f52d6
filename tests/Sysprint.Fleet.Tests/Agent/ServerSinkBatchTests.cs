using Microsoft.Extensions.Logging.Abstractions;
using Sysprint.Agent.Alerts;
using Sysprint.Agent.Fleet;
using Sysprint.Agent.Outbox;
using Sysprint.Fleet.Tests.Support;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Storage.Sqlite;

namespace Sysprint.Fleet.Tests.Agent;

/// <summary>
/// The agent's server sink sends what is pending in batches, over a real SQLite outbox to a real
/// server and PostgreSQL: after an outage, one request carries up to 64 alerts, not one.
/// </summary>
public sealed class ServerSinkBatchTests : FleetFixture
{
    private const int Pending = 150;

    private static readonly SyscallTable s_table = SyscallTable.Builtin("x86_64");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Alerts_left_pending_go_up_in_batches_of_64_each_stored_once()
    {
        using var dir = new TempDir();
        string db = dir.PathOf("agent.db");
        string secret = await Server.EnrollSecretAsync();
        using FleetConnection fleet = await FleetConnection.OpenAsync(Server.Address.ToString(), null, secret, "hv-1", db + ".credential",
            TimeSpan.FromSeconds(30), NullLogger.Instance, Ct);
        var factory = new AlertFactory("hv-1");

        // Raised while nothing delivers (the outbox not started): pending, as after an outage.
        await using (var down = new AlertOutbox(SqliteFingerprintStore.Open(db, createIfMissing: true), [new ServerSink(fleet)], null))
        {
            for (int line = 1; line <= Pending; line++)
            {
                Assert.True(down.Raise(factory.Mismatch(new AlertSubject("vm1", "/spool/vm1/cat.strace", "key", "cat", "default", "paper"),
                    new Mismatch([0, 41], line, 100), s_table, DateTimeOffset.UtcNow)));
            }
        }

        long left;
        await using (var up = new AlertOutbox(SqliteFingerprintStore.Open(db, createIfMissing: false), [new ServerSink(fleet)], null))
        {
            up.Start();
            left = await up.FlushAsync(TimeSpan.FromSeconds(120), Ct);
        }

        IReadOnlyList<FleetAlert> central = await Server.Store.ListAlertsAsync(new FleetAlertQuery { Limit = 1000 }, Ct);
        Assert.Equal(0, left);
        Assert.Equal(Pending, central.Count);
        Assert.Equal(Pending, central.Select(a => a.Uuid).Distinct().Count());
        Assert.All(central, a => Assert.Equal("hv-1", a.Host));
        // Each request's alerts are stored with the time it was received: ceil(150 / 64) = 3 requests.
        Assert.Equal(3, central.Select(a => a.Received).Distinct().Count());
    }
}

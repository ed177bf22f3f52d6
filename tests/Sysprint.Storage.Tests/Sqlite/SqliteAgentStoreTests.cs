using Sysprint.Storage.Sqlite;

namespace Sysprint.Storage.Tests.Sqlite;

/// <summary>Schema version 2: the live agent's outbox and watched files.</summary>
public sealed class SqliteAgentStoreTests : IDisposable
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 26, 1, 0, 0, TimeSpan.Zero);

    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    private static OutboxAlert Alert(string id, int minute = 0) =>
        new(id, s_t0.AddMinutes(minute), "Unknown system-call transition", "Critical", "syscall", "web-01", "/spool/web-01/a.strace", $"{{\"uuid\":\"{id}\"}}", $"text {id}");

    [Fact]
    public void A_version_1_store_is_upgraded_to_the_current_version_keeping_its_profiles()
    {
        using (SqliteFingerprintStore store = _temp.Open())
        {
            store.CreateProfile("cat", 2, "paper", 0);
        }

        _temp.Execute(
            "DROP TABLE agent_alerts; DROP TABLE agent_deliveries; DROP TABLE agent_files; DROP TABLE agent_info; " +
            "DROP TABLE log_windows; PRAGMA user_version = 1");

        using (SqliteFingerprintStore upgraded = _temp.Open(createIfMissing: false))
        {
            Assert.NotNull(upgraded.FindProfile("cat"));
            Assert.True(upgraded.AddAlert(Alert("a"), ["s"]));
        }

        Assert.Equal((long)SqliteFingerprintStore.CurrentSchemaVersion, _temp.Scalar("PRAGMA user_version"));
    }
}

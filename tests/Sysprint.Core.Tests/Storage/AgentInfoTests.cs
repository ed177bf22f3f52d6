using Sysprint.Storage;

namespace Sysprint.Core.Tests.Storage;

public sealed class AgentInfoTests
{
    [Fact]
    public void The_facts_the_agent_writes_are_read_back_as_the_same_values()
    {
        var written = new AgentInfo(4242, new DateTimeOffset(2026, 12, 3, 7, 0, 0, 123, TimeSpan.Zero), new DateTimeOffset(2026, 12, 3, 7, 45, 1, 5, TimeSpan.Zero),
            Stopped: true, ["/var/spool/sysprint", "/srv/logs"], ["jsonl:/var/log/alerts.jsonl"], TimeSpan.FromMilliseconds(250), 217, 3);

        AgentInfo read = AgentInfo.FromValues(written.ToValues())!;

        Assert.Equal((4242, written.Started, written.Heartbeat, true, TimeSpan.FromMilliseconds(250), 217L, 3L),
            (read.Pid, read.Started, read.Heartbeat, read.Stopped, read.CheckpointInterval, read.AlertsRaised, read.AlertsRepeated));
        Assert.Equal(["/var/spool/sysprint", "/srv/logs"], read.Spools);
        Assert.Equal(["jsonl:/var/log/alerts.jsonl"], read.Sinks);
    }

    [Fact]
    public void The_stored_text_of_each_fact_is_what_agent_status_shows()
    {
        var info = new AgentInfo(7, new DateTimeOffset(2026, 12, 3, 7, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 12, 3, 7, 0, 1, TimeSpan.Zero),
            Stopped: false, [], ["stdout"], TimeSpan.FromSeconds(1), 0, 0);

        IReadOnlyDictionary<string, string> values = info.ToValues();

        Assert.Equal("2026-12-03T07:00:01.0000000+00:00", values["heartbeat"]);
        Assert.Equal(("7", "running", "", "stdout", "1000"), (values["pid"], values["state"], values["spools"], values["sinks"], values["checkpoint_ms"]));
    }

    [Fact]
    public void A_store_no_agent_wrote_a_heartbeat_to_has_no_facts_and_an_older_agents_missing_ones_take_defaults()
    {
        Assert.Null(AgentInfo.FromValues(new Dictionary<string, string> { ["pid"] = "42" }));

        AgentInfo older = AgentInfo.FromValues(new Dictionary<string, string> { ["pid"] = "42", ["heartbeat"] = "2026-12-03T07:00:01.0000000+00:00", ["state"] = "running" })!;

        Assert.Equal((42, AgentInfo.DefaultCheckpointInterval, 0L, false), (older.Pid, older.CheckpointInterval, older.AlertsRaised, older.Stopped));
        Assert.Empty(older.Spools);
    }
}

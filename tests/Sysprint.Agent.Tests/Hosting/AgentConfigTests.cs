using Sysprint.Agent.Hosting;
using Sysprint.Diagnostics;

namespace Sysprint.Agent.Tests.Hosting;

public sealed class AgentConfigTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_example_config_in_deploy_is_valid_and_says_what_the_documentation_says()
    {
        AgentConfig config = AgentConfig.Load(Path.Combine(Repository.Root(), "deploy", "agent.json"));

        Assert.Equal("/var/lib/sysprint/sysprint.db", config.Db);
        Assert.Equal(["/var/spool/sysprint"], config.Spools);
        Assert.Equal(["/var/log/sysprint/alerts.jsonl"], config.Sinks.Jsonl);
        Assert.Equal(["unix:/dev/log"], config.Sinks.Syslog);
        // No VM named to a profile a fresh store lacks: copied as is, the config runs.
        Assert.Empty(config.VmProfiles);
        Assert.Equal(TimeSpan.FromMilliseconds(100), config.ToWatchSettings().Tail.PollInterval);
        // The alert file's folder is the unit's LogsDirectory (made by systemd), not here.
        Assert.Equal(2, (config.Sinks with { Jsonl = [_dir.PathOf("alerts.jsonl")] }).CreateSinks().Count);
    }

    [Fact]
    public void An_empty_object_gives_the_defaults()
    {
        string path = _dir.Write("empty.json", "{}");

        AgentConfig config = AgentConfig.Load(path);

        Sysprint.Agent.Watch.WatchSettings settings = config.ToWatchSettings();
        Assert.Equal(new Sysprint.Agent.Watch.TailOptions(), settings.Tail);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.ScanInterval);
        Assert.Equal([".*", "*.tmp", "*.swp", "*~"], settings.Exclude);
        Assert.True(settings.SkipMalformed);
        Assert.Equal("default", config.Profile);
        Assert.True(config.Stdout);
    }

    [Fact]
    public void Trust_and_follow_symlinks_are_read_and_off_by_default()
    {
        string path = _dir.Write("agent.json", """{ "trust": "/etc/sysprint/admin.key.pub", "follow_symlinks": true }""");

        AgentConfig config = AgentConfig.Load(path);
        AgentConfig defaults = AgentConfig.Load(_dir.Write("empty.json", "{}"));

        Assert.Equal("/etc/sysprint/admin.key.pub", config.Trust);
        Assert.True(config.ToWatchSettings().FollowSymlinks);
        Assert.Null(defaults.Trust);
        Assert.False(defaults.ToWatchSettings().FollowSymlinks);
    }

    [Theory]
    [InlineData("""{"priority": "Urgent"}""", "priority 'Urgent': expected one of Emergency, Alert, Critical, Error, Warning, Notice, Informational, Debug")]
    [InlineData("""{"format": "pcap"}""", "format 'pcap': expected auto, strace, nttrace, adfa or unm")]
    [InlineData("""{"poll_interval_ms": 0}""", "intervals and timeouts must be positive (retry_max_ms at least retry_initial_ms), max_alerts_per_log at least 1, max_line_bytes at least 256")]
    [InlineData("""{"log_format": "xml"}""", "log_format 'xml': expected simple, json or systemd")]
    public void A_value_out_of_range_is_refused_with_what_is_expected(string json, string message)
    {
        string path = _dir.Write("bad.json", json);

        var ex = Assert.Throws<SysprintException>(() => AgentConfig.Load(path));

        Assert.Equal(ExitCodes.MalformedInput, ex.ExitCode);
        Assert.Equal($"{path}: {message}", ex.Message);
    }

    [Fact]
    public void A_missing_config_file_is_missing_input()
    {
        var ex = Assert.Throws<SysprintException>(() => AgentConfig.Load(_dir.PathOf("nope.json")));

        Assert.Equal(ExitCodes.InputMissing, ex.ExitCode);
        Assert.StartsWith($"{_dir.PathOf("nope.json")}: cannot read the config file: ", ex.Message, StringComparison.Ordinal);
    }
}

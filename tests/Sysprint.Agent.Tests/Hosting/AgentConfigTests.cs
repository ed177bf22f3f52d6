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
    public void Every_key_absent_from_the_file_keeps_the_default_the_type_gives_it()
    {
        // The generated reader sets init-only properties through the constructor, giving an absent
        // key default(T) instead of the written default: every key, present and future, is compared.
        string path = _dir.Write("empty.json", "{}");

        AgentConfig config = AgentConfig.Load(path);

        Assert.Equal(
            System.Text.Json.JsonSerializer.Serialize(new AgentConfig(), AgentConfigJson.Default.AgentConfig),
            System.Text.Json.JsonSerializer.Serialize(config, AgentConfigJson.Default.AgentConfig));
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
    [InlineData("""{"poll_interval_ms": 0}""", "poll_interval_ms 0: expected a whole number of at least 1")]
    [InlineData("""{"retry_initial_ms": 500, "retry_max_ms": 100}""", "retry_max_ms 100: expected a whole number of at least 500 (retry_initial_ms)")]
    [InlineData("""{"retention_days": -1}""", "retention_days -1: expected a whole number of at least 0 (0: keep forever)")]
    [InlineData("""{"log_format": "xml"}""", "log_format 'xml': expected simple, json or systemd")]
    public void A_value_out_of_range_is_refused_with_what_is_expected(string json, string message)
    {
        string path = _dir.Write("bad.json", json);

        var ex = Assert.Throws<SysprintException>(() => AgentConfig.Load(path));

        Assert.Equal(ErrorKind.MalformedInput, ex.Kind);
        Assert.Equal($"{path}: {message}", ex.Message);
    }

    [Theory]
    [InlineData("{\n  \"spools\": [\"/s\"],\n  \"pol_interval_ms\": 100\n}", "3:3: unknown key 'pol_interval_ms' (did you mean 'poll_interval_ms'?); the valid keys are db, trust, server, enroll_token, host, server_ca, credential_file, spools, profile, vm_profiles, detector, threshold, format, skip_malformed, max_line_bytes, max_alerts_per_log, hostname, priority, stdout, sinks, exclude, follow_symlinks, poll_interval_ms, scan_interval_ms, inotify, profile_poll_ms, checkpoint_interval_ms, idle_timeout_s, rotate_grace_ms, settle_ms, retry_initial_ms, retry_max_ms, delivery_timeout_s, shutdown_timeout_s, retention_days, silent_vm_after_s, metrics, log_format, log_level")]
    [InlineData("{\"sinks\": {\"jsonl\": [\"/a\"], \"webhooks\": [\"http://x\"]}}", "1:29: unknown key 'sinks.webhooks' (did you mean 'webhook'?); the valid keys of 'sinks' are jsonl, syslog, syslog_facility, webhook, program")]
    [InlineData("{\"poll_interval_ms\": \"100\"}", "1:22: 'poll_interval_ms' takes a whole number, found the string \"100\"")]
    [InlineData("{\"poll_interval_ms\": 1.5}", "1:22: 'poll_interval_ms' takes a whole number, found the number 1.5")]
    [InlineData("{\"spools\": \"/var/spool/sysprint\"}", "1:12: 'spools' takes an array of strings, found the string \"/var/spool/sysprint\"")]
    [InlineData("{\"spools\": [\"/a\", 7]}", "1:19: 'spools' takes an array of strings, found the number 7")]
    [InlineData("{\"sinks\": {\"jsonl\": \"/a.jsonl\"}}", "1:21: 'sinks.jsonl' takes an array of strings, found the string \"/a.jsonl\"")]
    [InlineData("{\"stdout\": \"yes\"}", "1:12: 'stdout' takes true or false, found the string \"yes\"")]
    [InlineData("{\"threshold\": \"high\"}", "1:15: 'threshold' takes a number or null, found the string \"high\"")]
    [InlineData("{\"profile\": null}", "1:13: 'profile' takes a string, found null")]
    [InlineData("{\"vm_profiles\": {\"db-01\": 3}}", "1:27: 'vm_profiles' takes an object of strings ({ \"name\": \"value\" }), found the number 3")]
    [InlineData("[\"/spool\"]", "1:1: the config must be a JSON object ({ \"key\": value, ... }), found an array")]
    public void A_config_mistake_names_the_key_its_type_and_the_valid_keys_at_its_position(string json, string message)
    {
        string path = _dir.Write("bad.json", json);

        var ex = Assert.Throws<SysprintException>(() => AgentConfig.Load(path));

        Assert.Equal(ErrorKind.MalformedInput, ex.Kind);
        Assert.Equal($"{path}:{message}", ex.Message);
    }

    [Fact]
    public void A_missing_config_file_is_missing_input()
    {
        var ex = Assert.Throws<SysprintException>(() => AgentConfig.Load(_dir.PathOf("nope.json")));

        Assert.Equal(ErrorKind.InputMissing, ex.Kind);
        Assert.StartsWith($"{_dir.PathOf("nope.json")}: cannot read the config file: ", ex.Message, StringComparison.Ordinal);
    }
}

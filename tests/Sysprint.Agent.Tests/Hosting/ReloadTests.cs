using System.Text.Json;

namespace Sysprint.Agent.Tests.Hosting;

/// <summary>
/// <c>kill -HUP</c> on a running <c>sysprint watch</c> (systemd's <c>ExecReload</c>): the agent
/// goes on in the same process with the config and fingerprints read again.
/// </summary>
[Trait("Speed", "slow")]
public sealed class ReloadTests : IDisposable
{
    private readonly TempDir _dir = new();

    public ReloadTests() => InheritedSignals.AssertNotIgnored(1, "SIGHUP");

    public void Dispose() => _dir.Dispose();

    /// <summary>A log of pid 200 whose cycles hold <paramref name="extra"/> between read and close.</summary>
    private static string With(string extra, int cycles = 3)
    {
        var lines = new System.Text.StringBuilder();
        for (int i = 0; i < cycles; i++)
        {
            lines.Append("200   openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY) = 3\n");
            lines.Append("200   read(3, \"vm\\n\", 131072) = 3\n");
            lines.Append("200   ").Append(extra).Append('\n');
            lines.Append("200   close(3) = 0\n");
        }

        return lines.ToString();
    }

    private static List<(string Log, string Next)> Alerts(string jsonl) => !File.Exists(jsonl) ? [] :
        [.. File.ReadAllLines(jsonl).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("output_fields"))
            .Select(f => (f.GetProperty("log.name").GetString()!, f.GetProperty("mismatch.next").GetString()!))];

    [Fact]
    public void Sighup_makes_a_running_agent_use_a_fingerprint_learnt_after_it_started()
    {
        string db = _dir.PathOf("agent.db");
        string jsonl = _dir.PathOf("alerts.jsonl");
        string spool = _dir.PathOf("spool");
        Directory.CreateDirectory(Path.Combine(spool, "web-01"));
        Support.Cli.RunOk("train", "--db", db, _dir.Write("train/normal.strace", Logs.NormalLines(100, 3)));
        using SysprintProcess agent = SysprintProcess.Start(["watch", "--db", db, "-q", "--alerts-jsonl", jsonl, spool]);

        // Before: uname between read and close is unknown.
        File.WriteAllText(Path.Combine(spool, "web-01", "before.strace"), With("uname({sysname=\"Linux\"}) = 0"));
        Eventually.True(() => Alerts(jsonl).Any(a => a.Log.EndsWith("before.strace", StringComparison.Ordinal) && a.Next == "uname"),
            "the alert on uname before the reload", seconds: 60);

        // The operator learns it as normal, then reloads the agent.
        Support.Cli.RunOk("train", "--db", db, _dir.Write("train/uname.strace", With("uname({sysname=\"Linux\"}) = 0")));
        agent.Signal(1);
        Eventually.True(() => agent.Error.Contains("reloaded (SIGHUP)", StringComparison.Ordinal), "the agent to say it reloaded", seconds: 60);
        Assert.False(agent.HasExited);

        // After: the same uname pattern, then a socket the fingerprint still lacks, in one log: once
        // socket's alert is in, every line before it was checked.
        File.WriteAllText(Path.Combine(spool, "web-01", "after.strace"),
            With("uname({sysname=\"Linux\"}) = 0") + With("socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4", cycles: 1));
        Eventually.True(() => Alerts(jsonl).Any(a => a.Log.EndsWith("after.strace", StringComparison.Ordinal) && a.Next == "socket"),
            "the alert on socket after the reload", seconds: 60);

        agent.Signal(15);
        Assert.Equal(0, agent.WaitForExit());
        Assert.DoesNotContain(Alerts(jsonl), a => a.Log.EndsWith("after.strace", StringComparison.Ordinal) && a.Next == "uname");
    }

    [Fact]
    public void Sighup_with_a_broken_config_keeps_the_running_one_and_says_why()
    {
        string db = _dir.PathOf("agent.db");
        string spool = _dir.PathOf("spool");
        Directory.CreateDirectory(Path.Combine(spool, "web-01"));
        Support.Cli.RunOk("train", "--db", db, _dir.Write("train/normal.strace", Logs.NormalLines(100, 3)));
        string config = _dir.Write("agent.json", $$"""{"db": "{{db}}", "spools": ["{{spool}}"], "stdout": false}""");
        using SysprintProcess agent = SysprintProcess.Start(["watch", "--config", config]);
        Eventually.True(() => agent.Error.Contains("watching", StringComparison.OrdinalIgnoreCase) || agent.HasExited, "the agent to start", seconds: 60);
        Assert.False(agent.HasExited, agent.Error);

        File.WriteAllText(config, """{"spools": ["x"], "no_such_key": 1}""");
        agent.Signal(1);
        Eventually.True(() => agent.Error.Contains("the config was not reloaded", StringComparison.Ordinal), "the agent to refuse the broken config", seconds: 60);
        Eventually.True(() => agent.Error.Contains("reloaded (SIGHUP)", StringComparison.Ordinal), "the agent to go on with the running config", seconds: 60);

        Assert.False(agent.HasExited);
        agent.Signal(15);
        Assert.Equal(0, agent.WaitForExit());
        Assert.Contains("no_such_key", agent.Error, StringComparison.Ordinal);
    }
}

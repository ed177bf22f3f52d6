using System.Text.Json;
using System.Text.RegularExpressions;
using Sysprint.Agent.Tests.Support;

namespace Sysprint.Agent.Tests.Watch;

/// <summary>
/// <c>sysprint watch</c> as a real process: killed with SIGKILL in the middle of logs being
/// written, restarted, and every alert still delivered once; stopped with SIGTERM; its status.
/// </summary>
[Trait("Speed", "slow")]
public sealed class WatchProcessTests : IDisposable
{
    private static readonly string[] s_foreign =
    [
        "socket", "bind", "listen", "connect", "accept", "sendto", "recvfrom", "sendmsg", "recvmsg", "shutdown",
        "getsockname", "getpeername", "socketpair", "setsockopt", "getsockopt", "uname", "kill", "setuid", "chmod", "unlink",
    ];

    private readonly TempDir _dir = new();
    private readonly string _db;

    public WatchProcessTests()
    {
        _db = Support.Cli.TrainedStore(_dir, "agent.db", Logs.NormalLines(100, 3) + "100   +++ exited with 0 +++\n");
    }

    private string Spool => _dir.PathOf("spool");

    public void Dispose() => _dir.Dispose();

    /// <summary>Lines of a log with <paramref name="anomalies"/> foreign calls spread among normal cycles.</summary>
    private static List<string> LogLines(int pid, int cycles, int anomalies, int seed)
    {
        var lines = new List<string>();
        var random = new Random(seed);
        var at = new HashSet<int>(Enumerable.Range(0, anomalies).Select(_ => random.Next(cycles)));
        int used = 0;
        for (int i = 0; i < cycles; i++)
        {
            lines.Add($"{pid}   openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY) = 3");
            lines.Add($"{pid}   read(3, \"vm\\n\", 131072) = 3");
            if (at.Contains(i))
            {
                lines.Add($"{pid}   {s_foreign[(seed + used++) % s_foreign.Length]}(3) = 0");
            }

            lines.Add($"{pid}   close(3) = 0");
        }

        return lines;
    }

    /// <summary>The distinct mismatches of a finished log, as the batch check counts them: the alerts it must have raised.</summary>
    private int Expected(string log)
    {
        var (exit, output, error) = Support.Cli.Run("check", "--db", _db, "--json", log);
        Assert.True(exit is 0 or 1, error);
        return JsonDocument.Parse(output).RootElement.GetProperty("distinct_mismatches").GetInt32();
    }

    [Fact]
    public void An_agent_killed_with_sigkill_mid_log_and_restarted_delivers_every_alert_once()
    {
        string jsonl = _dir.PathOf("alerts.jsonl");
        using var receiver = new WebhookReceiver();
        string[] args = ["watch", "--db", _db, "-q", "--alerts-jsonl", jsonl, "--webhook", receiver.Url, Spool];
        string[] vms = ["web-01", "web-02", "db-01"];
        var logs = vms.Select((vm, i) => (Path: Path.Combine(Spool, vm, "run.strace"), Lines: LogLines(1000 + i, 60, 8, i))).ToList();
        foreach (var (path, _) in logs)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        }

        SysprintProcess agent = SysprintProcess.Start(args);
        int kills = 0;
        try
        {
            int longest = logs.Max(l => l.Lines.Count);
            for (int line = 0; line < longest; line += 5)
            {
                foreach (var (path, lines) in logs)
                {
                    if (line < lines.Count)
                    {
                        File.AppendAllText(path, string.Join('\n', lines.Skip(line).Take(5)) + "\n");
                    }
                }

                Thread.Sleep(25);
                if (line is 40 or 110 or 180)
                {
                    agent.Signal(9);
                    agent.WaitForExit();
                    agent.Dispose();
                    kills++;
                    agent = SysprintProcess.Start(args);
                }
            }

            int expected = logs.Sum(l => Expected(l.Path));
            Eventually.True(() => File.Exists(jsonl) && File.ReadAllLines(jsonl).Length >= expected && receiver.Ids().Distinct().Count() >= expected,
                $"{expected} alerts in the file and at the webhook", seconds: 60);
            Thread.Sleep(1000);
            agent.Signal(15);
            Assert.Equal(0, agent.WaitForExit());

            string[] ids = [.. File.ReadAllLines(jsonl).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("uuid").GetString()!)];
            Assert.Equal(3, kills);
            Assert.True(expected >= 24, $"only {expected} anomalies");
            Assert.Equal(expected, ids.Length);
            Assert.Equal(expected, ids.Distinct().Count());
            Assert.Equal(ids.Order(), receiver.Ids().Distinct().Order());

            // At least once: a POST in flight when the agent was killed may come again, with the same id.
            Assert.InRange(receiver.Ids().Count, expected, expected + kills);
        }
        finally
        {
            agent.Dispose();
        }
    }

    [Fact]
    public void Sigterm_stops_the_agent_gracefully_and_agent_status_shows_what_it_did()
    {
        using var receiver = new WebhookReceiver();
        string log = Path.Combine(Spool, "web-01", "cat.strace");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        File.WriteAllText(log, string.Join('\n', LogLines(42, 10, 2, 7)) + "\n");
        using SysprintProcess agent = SysprintProcess.Start(["watch", "--db", _db, "--webhook", receiver.Url, Spool]);
        int expected = Expected(log);
        Eventually.True(() => receiver.Received.Count == expected, $"{expected} alerts at the webhook");

        string running = "";
        Eventually.True(() =>
        {
            running = Support.Cli.Run("agent-status", "--db", _db).Out;
            return running.Contains(" 32 ", StringComparison.Ordinal);
        }, "a checkpoint with every line read");
        agent.Signal(15);
        int exit = agent.WaitForExit();
        var (_, stopped, _) = Support.Cli.Run("agent-status", "--db", _db);

        Assert.Equal(0, exit);
        Assert.Equal(expected, agent.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.All(agent.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.Contains(": Critical Unknown system-call transition ", l, StringComparison.Ordinal));
        Assert.StartsWith($"agent    running, pid {agent.Id}, since ", running, StringComparison.Ordinal);
        Assert.Matches($@"\nweb-01 +reading +0 B +32 +32 +{expected}  {log}\n", running);
        Assert.Matches($@"\n +{expected} +0 +- +0  webhook:{receiver.Url}\n", running);
        Assert.StartsWith("agent    stopped at ", stopped, StringComparison.Ordinal);
    }

    [Fact]
    public void A_link_to_a_host_file_is_reported_on_stderr_and_in_agent_status_and_the_agent_goes_on()
    {
        string shadow = _dir.Write("host/shadow", "root:$6$SECRETHASH$xyz:19000:0:99999:7:::\n");
        string link = Path.Combine(Spool, "web-01", "log");
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        File.CreateSymbolicLink(link, shadow);
        using SysprintProcess agent = SysprintProcess.Start(["watch", "--db", _db, Spool]);
        string reason = $"{link}: a symbolic link to {shadow}, outside its VM's folder {Path.Combine(Spool, "web-01")}; not followed (follow_symlinks in the agent's config, or --follow-symlinks, allows it)";

        Eventually.True(() => agent.Error.Contains(reason, StringComparison.Ordinal), "the warning on stderr");
        string status = "";
        Eventually.True(() => (status = Support.Cli.Run("agent-status", "--db", _db).Out).Contains(reason, StringComparison.Ordinal), "the refusal in agent-status");
        string log = Path.Combine(Spool, "web-01", "later.strace");
        File.WriteAllText(log, string.Join('\n', LogLines(42, 10, 2, 7)) + "\n");
        Eventually.True(() => agent.Out.Contains($"log={log} ", StringComparison.Ordinal), "an alert of a log written afterwards");
        agent.Signal(15);

        Assert.Equal(0, agent.WaitForExit());
        Assert.Matches($@"\nweb-01 +failed .*  {Regex.Escape(link)}  \({Regex.Escape(reason)}\)\n", status);
        Assert.Contains($": Error Sysprint could not check a log: {reason} (vm=web-01 log={link})", agent.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRETHASH", agent.Out + agent.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Follow_symlinks_on_the_command_line_reads_a_log_linked_from_outside_the_spool()
    {
        string outside = _dir.Write("host/other.strace", string.Join('\n', LogLines(42, 10, 2, 7)) + "\n");
        string link = Path.Combine(Spool, "web-01", "other.strace");
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        File.CreateSymbolicLink(link, outside);
        using SysprintProcess agent = SysprintProcess.Start(["watch", "--db", _db, "--follow-symlinks", Spool]);

        Eventually.True(() => agent.Out.Contains($"log={link} ", StringComparison.Ordinal), "an alert of the linked log");
        agent.Signal(15);

        Assert.Equal(0, agent.WaitForExit());
        Assert.DoesNotContain("not followed", agent.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Watch_with_an_unknown_detector_is_a_usage_error()
    {
        var (exit, output, error) = Support.Cli.Run("watch", "--db", _db, "--detector", "stide-6", Spool);

        Assert.Equal(64, exit);
        Assert.Equal("", output);
        Assert.Equal("sysprint: error: unknown detector 'stide-6': watch knows paper, stide, lfc, zstide, freq, callset, fused\n", error);
    }

    [Fact]
    public void Watch_without_a_spool_is_a_usage_error()
    {
        var (exit, output, error) = Support.Cli.Run("watch", "--db", _db);

        Assert.Equal(64, exit);
        Assert.Equal("", output);
        Assert.Equal("sysprint: error: no spool to watch: name at least one SPOOL directory, or 'spools' in --config\n", error);
    }

    [Fact]
    public void A_config_file_with_an_unknown_key_is_refused_with_its_position()
    {
        string config = _dir.Write("agent.json", "{\n  \"spools\": [\"/tmp\"],\n  \"webhok\": [\"http://x\"]\n}\n");

        var (exit, _, error) = Support.Cli.Run("watch", "--db", _db, "--config", config);

        Assert.Equal(65, exit);
        Assert.StartsWith($"sysprint: error: {config}:3:", error, StringComparison.Ordinal);
        Assert.Contains("webhok", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_profile_fails_the_agent_at_start()
    {
        var (exit, _, error) = Support.Cli.Run("watch", "--db", _db, "--profile", "nginx", Spool);

        Assert.Equal(66, exit);
        Assert.StartsWith($"sysprint: error: {_db}: no profile 'nginx' (profiles: default)", error, StringComparison.Ordinal);
    }
}

using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Sysprint.Agent.Tests.Hosting;

/// <summary>
/// A running <c>sysprint watch</c> (a real process) picks up a profile changed in its store by
/// <c>train</c>, <c>import --replace</c>, <c>profile</c> or <c>seal</c>, with no restart and no
/// SIGHUP; with <c>--trust</c> a change that fails its seal keeps the old fingerprint and raises an
/// internal alert.
/// </summary>
[Trait("Speed", "slow")]
public sealed class FingerprintUpdateTests : IDisposable
{
    private const string Reloaded = "profile 'default' changed in the store: its fingerprint is reloaded";
    private const string Uname = "uname({sysname=\"Linux\"}) = 0";
    private const string Socket = "socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4";

    private static int s_pid = 200;

    private readonly TempDir _dir = new();
    private readonly string _db;
    private readonly string _jsonl;
    private readonly string _spool;

    public FingerprintUpdateTests()
    {
        _db = _dir.PathOf("agent.db");
        _jsonl = _dir.PathOf("alerts.jsonl");
        _spool = _dir.PathOf("spool");
        Directory.CreateDirectory(Path.Combine(_spool, "web-01"));
        Support.Cli.RunOk("train", "--db", _db, _dir.Write("train/normal.strace", Logs.NormalLines(100, 3)));
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// A log whose cycles hold <paramref name="extra"/> between read and close, of a pid of its own
    /// (logs of one VM that start alike share their alerts' ids: each must differ).
    /// </summary>
    private static string With(string extra, int cycles = 3)
    {
        int pid = Interlocked.Increment(ref s_pid);
        var lines = new System.Text.StringBuilder();
        for (int i = 0; i < cycles; i++)
        {
            lines.Append($"{pid}   openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY) = 3\n");
            lines.Append($"{pid}   read(3, \"vm\\n\", 131072) = 3\n");
            lines.Append($"{pid}   ").Append(extra).Append('\n');
            lines.Append($"{pid}   close(3) = 0\n");
        }

        return lines.ToString();
    }

    private List<JsonElement> Alerts() => !File.Exists(_jsonl) ? [] :
        [.. File.ReadAllLines(_jsonl).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    private List<(string Log, string Next)> Mismatches() =>
        [.. Alerts().Where(a => a.GetProperty("source").GetString() == "syscall").Select(a => a.GetProperty("output_fields"))
            .Select(f => (f.GetProperty("log.name").GetString()!, f.GetProperty("mismatch.next").GetString()!))];

    private void Spool(string name, string text) => File.WriteAllText(Path.Combine(_spool, "web-01", name), text);

    private void WaitForMismatch(string log, string next) =>
        Eventually.True(() => Mismatches().Any(a => a.Log.EndsWith("/" + log, StringComparison.Ordinal) && a.Next == next), $"the alert on {next} in {log}");

    /// <summary>
    /// Writes a log with uname cycles then one socket: once socket's alert is in, every line before it
    /// was checked, so the absence of an alert on uname means the fingerprint in use knows it.
    /// </summary>
    private void AssertUnameIsNormalNow(string log)
    {
        Spool(log, With(Uname) + With(Socket, cycles: 1));
        WaitForMismatch(log, "socket");
        Assert.DoesNotContain(Mismatches(), a => a.Log.EndsWith("/" + log, StringComparison.Ordinal) && a.Next == "uname");
    }

    private void AssertUnameIsStillAnomalous(string log)
    {
        Spool(log, With(Uname));
        WaitForMismatch(log, "uname");
    }

    private static void Stop(SysprintProcess agent)
    {
        Assert.False(agent.HasExited, agent.Error);
        agent.Signal(SysprintProcess.SigTerm);
        Assert.Equal(0, agent.WaitForExit());
    }

    [Fact]
    public void A_pattern_learnt_by_train_after_start_is_used_without_restart_or_sighup()
    {
        using SysprintProcess agent = SysprintProcess.Start(["watch", "--db", _db, "-q", "--alerts-jsonl", _jsonl, _spool]);
        AssertUnameIsStillAnomalous("before.strace");

        Support.Cli.RunOk("train", "--db", _db, _dir.Write("train/uname.strace", With(Uname)));
        Eventually.True(() => agent.Error.Contains(Reloaded, StringComparison.Ordinal), "the agent to reload the fingerprint");

        AssertUnameIsNormalNow("after.strace");
        Assert.DoesNotContain("SIGHUP", agent.Error, StringComparison.Ordinal);
        Stop(agent);
    }

    [Fact]
    public void A_log_being_read_is_read_again_against_the_new_fingerprint_and_raises_nothing_twice()
    {
        using SysprintProcess agent = SysprintProcess.Start(["watch", "--db", _db, "-q", "--alerts-jsonl", _jsonl, _spool]);
        string log = Path.Combine(_spool, "web-01", "long.strace");

        // read -> uname, uname -> close, read -> getpid, getpid -> close.
        File.WriteAllText(log, With(Uname) + With("getpid() = 200", cycles: 1));
        Eventually.True(() => Mismatches().Count == 4, "the 4 alerts of the log's first part");

        Support.Cli.RunOk("train", "--db", _db, _dir.Write("train/uname.strace", With(Uname)));
        Eventually.True(() => agent.Error.Contains(Reloaded, StringComparison.Ordinal) && agent.Error.Contains("1 logs being read are read again", StringComparison.Ordinal),
            "the agent to reload and read the open log again");

        // The log grows on: its new lines are checked against the new fingerprint (read -> socket, socket -> close).
        File.AppendAllText(log, With(Uname) + With(Socket, cycles: 1));
        Eventually.True(() => Mismatches().Count == 6, "the 2 alerts on socket in the log's second part");
        Assert.Single(Mismatches(), a => a.Next == "uname");
        List<string> ids = [.. Alerts().Select(a => a.GetProperty("uuid").GetString()!)];
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Stop(agent);
    }

    [Fact]
    public void Import_replace_and_profile_changes_reach_the_running_agent()
    {
        // Another host learnt uname as normal and exported its fingerprint.
        string other = _dir.PathOf("other.db");
        Support.Cli.RunOk("train", "--db", other, _dir.Write("train/normal-2.strace", Logs.NormalLines(100, 3)), _dir.Write("train/uname.strace", With(Uname)));
        string export = _dir.PathOf("default.json");
        Support.Cli.RunOk("export", "--db", other, "-o", export);
        using SysprintProcess agent = SysprintProcess.Start(["watch", "--db", _db, "-q", "--alerts-jsonl", _jsonl, _spool]);
        AssertUnameIsStillAnomalous("before.strace");

        Assert.StartsWith("replaced profile 'default'", Support.Cli.RunOk("import", "--db", _db, "--replace", export), StringComparison.Ordinal);
        Eventually.True(() => agent.Error.Contains(Reloaded, StringComparison.Ordinal), "the agent to reload the imported fingerprint");
        AssertUnameIsNormalNow("after-import.strace");

        // profile --threshold 100 tolerates a hundred mismatches: a log with two raises nothing.
        Support.Cli.RunOk("profile", "--db", _db, "--threshold", "100");
        Eventually.True(() => CountOf(agent.Error, Reloaded) == 2, "the agent to reload the profile's new threshold");
        Spool("tolerated.strace", With(Socket, cycles: 1));
        Eventually.True(() => FileLines("tolerated.strace") == 4, "the agent to read the tolerated log to its end");
        Assert.DoesNotContain(Mismatches(), a => a.Log.EndsWith("/tolerated.strace", StringComparison.Ordinal));
        Stop(agent);
    }

    [Fact]
    public void With_trust_a_change_that_fails_its_seal_keeps_the_old_fingerprint_and_raises_an_internal_alert_until_sealed_again()
    {
        string key = _dir.PathOf("keys/admin.key");
        Directory.CreateDirectory(Path.GetDirectoryName(key)!);
        Support.Cli.RunOk("seal", "--db", _db, "--key", key);
        using SysprintProcess agent = SysprintProcess.Start(["watch", "--db", _db, "--trust", key + ".pub", "-q", "--alerts-jsonl", _jsonl, _spool]);
        AssertUnameIsStillAnomalous("before.strace");

        // train changes the fingerprint; its seal no longer holds.
        Support.Cli.RunOk("train", "--db", _db, _dir.Write("train/uname.strace", With(Uname)));
        Eventually.True(() => Alerts().Any(a => a.GetProperty("rule").GetString() == "Sysprint kept a fingerprint: its change in the store cannot be used"),
            "the internal alert on the unsealed change");
        JsonElement kept = Alerts().Single(a => a.GetProperty("source").GetString() == "internal");
        Assert.Equal("Critical", kept.GetProperty("priority").GetString());
        Assert.Contains("profile 'default' changed since it was sealed", kept.GetProperty("output").GetString(), StringComparison.Ordinal);
        Assert.Contains("the agent keeps checking with the fingerprint it loaded before", kept.GetProperty("output").GetString(), StringComparison.Ordinal);
        AssertUnameIsStillAnomalous("while-unsealed.strace");

        // The administrator seals the change: now it is used.
        Support.Cli.RunOk("seal", "--db", _db, "--key", key);
        Eventually.True(() => agent.Error.Contains(Reloaded, StringComparison.Ordinal), "the agent to reload the sealed fingerprint");
        Assert.Contains("seal verified", agent.Error, StringComparison.Ordinal);
        AssertUnameIsNormalNow("after-seal.strace");

        // A gram added by hand with SQL is seen, refused, and alerted too.
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _db, Pooling = false }.ToString()))
        {
            connection.Open();
            using SqliteCommand insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO grams (profile_id, gram, first_log_id) SELECT profile_id, '0 41', first_log_id FROM grams LIMIT 1";
            Assert.Equal(1, insert.ExecuteNonQuery());
        }

        Eventually.True(() => Alerts().Count(a => a.GetProperty("source").GetString() == "internal") == 2, "the internal alert on the tampered fingerprint");
        Spool("after-tamper.strace", With(Socket, cycles: 1));
        WaitForMismatch("after-tamper.strace", "socket");
        Stop(agent);
    }

    [Fact]
    public void A_deleted_profile_keeps_the_agent_checking_with_what_it_loaded_and_raises_an_internal_alert()
    {
        using SysprintProcess agent = SysprintProcess.Start(["watch", "--db", _db, "-q", "--alerts-jsonl", _jsonl, _spool]);
        AssertUnameIsStillAnomalous("before.strace");

        Assert.StartsWith("deleted profile 'default'", Support.Cli.RunOk("profile", "--db", _db, "--delete", "default"), StringComparison.Ordinal);

        Eventually.True(() => Alerts().Any(a => a.GetProperty("source").GetString() == "internal"), "the internal alert on the deleted profile");
        Assert.Contains("profile 'default' was deleted", Alerts().Single(a => a.GetProperty("source").GetString() == "internal").GetProperty("output").GetString(), StringComparison.Ordinal);
        AssertUnameIsStillAnomalous("after-delete.strace");
        Stop(agent);
    }

    /// <summary>The lines the agent has read of a log, as <c>agent-status --json</c> says (its checkpoint is a second old at most).</summary>
    private long FileLines(string log)
    {
        using JsonDocument status = JsonDocument.Parse(Support.Cli.RunOk("agent-status", "--db", _db, "--json", "--all"));
        foreach (JsonElement file in status.RootElement.GetProperty("files").EnumerateArray())
        {
            if (file.GetProperty("path").GetString()!.EndsWith("/" + log, StringComparison.Ordinal))
            {
                return file.GetProperty("lines").GetInt64();
            }
        }

        return -1;
    }

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}

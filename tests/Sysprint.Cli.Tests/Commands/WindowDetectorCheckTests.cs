using System.Globalization;
using System.Text.Json;
using Sysprint.Cli.Tests.Support;

namespace Sysprint.Cli.Tests.Commands;

/// <summary>
/// <c>check --detector zstide|freq|callset</c>: the evaluation's whole-log detectors deployed on a
/// profile's stored window model, each verdict explained by the windows or calls behind it.
/// </summary>
public sealed class WindowDetectorCheckTests : IDisposable
{
    // cat-like runs (x86_64): openat 257, read 0, write 1, close 3, fstat 5, socket 41, connect 42.
    private const string Short =
        """
        100   openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3
        100   fstat(3, {st_mode=S_IFREG|0644, st_size=3, ...}) = 0
        100   read(3, "vm\n", 131072) = 3
        100   write(1, "vm\n", 3) = 3
        100   read(3, "", 131072) = 0
        100   close(3) = 0
        100   +++ exited with 0 +++

        """;

    private const string Long =
        """
        101   openat(AT_FDCWD, "/etc/hosts", O_RDONLY) = 3
        101   fstat(3, {st_mode=S_IFREG|0644, st_size=300, ...}) = 0
        101   read(3, "127.0.0.1 localhost\n", 131072) = 20
        101   write(1, "127.0.0.1 localhost\n", 20) = 20
        101   read(3, "::1 localhost\n", 131072) = 14
        101   write(1, "::1 localhost\n", 14) = 14
        101   read(3, "", 131072) = 0
        101   close(3) = 0
        101   +++ exited with 0 +++

        """;

    private const string Injected =
        """
        200   openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3
        200   fstat(3, {st_mode=S_IFREG|0644, st_size=3, ...}) = 0
        200   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4
        200   connect(4, {sa_family=AF_INET, sin_port=htons(4444), sin_addr=inet_addr("10.0.0.1")}, 16) = 0
        200   read(3, "vm\n", 131072) = 3
        200   write(4, "vm\n", 3) = 3
        200   read(3, "", 131072) = 0
        200   close(3) = 0
        200   +++ exited with 0 +++

        """;

    private readonly CliSandbox _cli = new();
    private readonly string _db;
    private readonly string _short;
    private readonly string _long;
    private readonly string _injected;

    public WindowDetectorCheckTests()
    {
        _db = _cli.Db();
        _short = _cli.Write("short.strace", Short);
        _long = _cli.Write("long.strace", Long);
        _injected = _cli.Write("injected.strace", Injected);
        _cli.RunOk("train", "--db", _db, _short, _long);
    }

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Callset_explains_an_anomaly_by_the_calls_added_to_the_nearest_normal_run()
    {
        CliResult result = _cli.Run("check", "--db", _db, "--detector", "callset", _injected);

        // The nearest normal run makes 5 distinct calls; the log makes those plus socket and connect.
        Assert.Equal(1, result.Exit);
        Assert.Equal(
            $"""
            ANOMALOUS  {_injected}  2 mismatches (2 distinct) in 8 syscalls, profile 'default', callset score 0.2857142857142857 > threshold 0
                line 3  pid 200  socket(41)  (call not in the nearest normal run)
                line 4  pid 200  connect(42)  (call not in the nearest normal run)

            """, result.Out);
    }

    [Fact]
    public void Callset_calls_a_run_with_a_learnt_vocabulary_normal()
    {
        string again = _cli.Write("again.strace", Long.Replace("101 ", "300 ", StringComparison.Ordinal));

        CliResult result = _cli.Run("check", "--db", _db, "--detector", "callset", "--json", again);

        Assert.Equal(0, result.Exit);
        using JsonDocument json = JsonDocument.Parse(result.Out);
        Assert.Equal("normal", json.RootElement.GetProperty("verdict").GetString());
        Assert.Equal("callset", json.RootElement.GetProperty("detector").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("score").GetDouble());
        Assert.Equal(0, json.RootElement.GetProperty("details").GetArrayLength());
    }

    [Fact]
    public void Callset_lists_a_call_the_nearest_normal_run_makes_and_the_log_does_not()
    {
        string noFstat = _cli.Write("nofstat.strace", string.Join('\n', Short.Split('\n').Where(l => !l.Contains("fstat", StringComparison.Ordinal))));

        CliResult result = _cli.Run("check", "--db", _db, "--detector", "callset", "--json", noFstat);

        Assert.Equal(1, result.Exit);
        using JsonDocument json = JsonDocument.Parse(result.Out);
        JsonElement detail = Assert.Single(json.RootElement.GetProperty("details").EnumerateArray());
        Assert.Equal("fstat", detail.GetProperty("next").GetString());
        Assert.Equal(0, detail.GetProperty("count").GetInt64());
        Assert.Equal("call of the nearest normal run not made", detail.GetProperty("reason").GetString());
        Assert.Equal(0.2, json.RootElement.GetProperty("score").GetDouble(), 9);
    }

    [Fact]
    public void Zstide_and_freq_explain_an_anomaly_by_the_shortest_unseen_windows()
    {
        foreach (string detector in new[] { "zstide", "freq" })
        {
            CliResult result = _cli.Run("check", "--db", _db, "--detector", detector, "--json", _injected);

            Assert.True(result.Exit == 1, $"{detector}: {result}");
            using JsonDocument json = JsonDocument.Parse(result.Out);
            Assert.Equal(detector, json.RootElement.GetProperty("detector").GetString());
            Assert.True(json.RootElement.GetProperty("score").GetDouble() > 0, result.Out);
            var details = json.RootElement.GetProperty("details").EnumerateArray()
                .Select(d => (d.GetProperty("line").GetInt64(), d.GetProperty("prev").GetString(), d.GetProperty("next").GetString()))
                .ToList();

            // socket and connect were never learnt: each is an unseen window of one call.
            Assert.Equal((3L, (string?)null, "socket"), details[0]);
            Assert.Equal((4L, (string?)null, "connect"), details[1]);
            Assert.Contains((5L, "connect", "read"), details);
        }
    }

    [Fact]
    public void Zstide_calls_a_learnt_run_normal()
    {
        CliResult result = _cli.Run("check", "--db", _db, "--detector", "zstide", "--json", _short);

        Assert.Equal(0, result.Exit);
        using JsonDocument json = JsonDocument.Parse(result.Out);
        Assert.Equal(0, json.RootElement.GetProperty("mismatches").GetInt64());
        Assert.True(json.RootElement.GetProperty("score").GetDouble() <= 0, result.Out);
    }

    [Fact]
    public void The_profile_keeps_the_detector_and_threshold_check_then_uses()
    {
        _cli.RunOk("profile", "--db", _db, "--detector", "callset", "--threshold", "0.3");

        CliResult result = _cli.Run("check", "--db", _db, "--json", _injected);

        // 0.2857 is within 0.3: the deployed threshold holds.
        Assert.Equal(0, result.Exit);
        using JsonDocument json = JsonDocument.Parse(result.Out);
        Assert.Equal("callset", json.RootElement.GetProperty("detector").GetString());
        Assert.Equal(0.3, json.RootElement.GetProperty("threshold").GetDouble());
        Assert.Equal("normal", json.RootElement.GetProperty("verdict").GetString());
    }

    [Fact]
    public void False_alarms_sets_the_threshold_from_the_learnt_logs_alone()
    {
        string other = _cli.Write("other.strace", Injected.Replace("200 ", "201 ", StringComparison.Ordinal));
        _cli.RunOk("train", "--db", _db, other);

        // Held out in learning order, the first log is not scored; the second shares the first's
        // vocabulary (0); the injected-like log is 2/7 from the nearest earlier one. At most 1 of 2
        // above: the threshold is the lower score, 0.
        CliResult set = _cli.Run("profile", "--db", _db, "--detector", "callset", "--false-alarms", "0.5");
        CliResult check = _cli.Run("check", "--db", _db, "--json", _injected);

        Assert.True(set.Exit == 0, set.ToString());
        Assert.Equal(
            "threshold 0: 1 of the 2 learnt logs held out (50%) score above it with callset, each tenth of the learnt logs checked against the tenths learnt before it\n" +
            "profile 'default': window 2, detector callset, threshold 0, created ",
            set.Out[..set.Out.LastIndexOf("created ", StringComparison.Ordinal)] + "created ");
        using JsonDocument json = JsonDocument.Parse(check.Out);
        Assert.Equal("callset", json.RootElement.GetProperty("detector").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("score").GetDouble());
    }

    [Fact]
    public void False_alarms_without_a_detector_sets_the_one_eval_recommends()
    {
        CliResult set = _cli.Run("profile", "--db", _db, "--false-alarms", "0.1");
        CliResult show = _cli.Run("profile", "--db", _db);

        Assert.True(set.Exit == 0, set.ToString());
        Assert.StartsWith($"profile 'default': window 2, detector {Sysprint.Engine.Detectors.Recommended}, threshold ", show.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void False_alarms_needs_a_second_learnt_log()
    {
        string db = _cli.Db("one.db");
        _cli.RunOk("train", "--db", db, _short);

        CliResult result = _cli.Run("profile", "--db", db, "--detector", "callset", "--false-alarms", "0.1");

        Assert.Equal(66, result.Exit);
        Assert.Equal(
            $"sysprint: error: {db}: a threshold from the learnt logs alone needs at least 2 learnt logs (a later one is checked against an earlier one); profile 'default' has 1\n",
            result.Error);
    }

    [Theory]
    [InlineData("freq", "0.05", "a threshold from the learnt logs alone is available for paper, stide (windows up to 10), zstide, callset and fused, not for freq: give --threshold")]
    [InlineData("callset", "1.5", "--false-alarms must be a share between 0 and 1, e.g. 0.05")]
    public void False_alarms_refuses_what_it_cannot_do(string detector, string rate, string message)
    {
        CliResult result = _cli.Run("profile", "--db", _db, "--detector", detector, "--false-alarms", rate);

        Assert.Equal(64, result.Exit);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void False_alarms_and_threshold_together_are_refused()
    {
        CliResult result = _cli.Run("profile", "--db", _db, "--detector", "zstide", "--false-alarms", "0.05", "--threshold", "1");

        Assert.Equal(64, result.Exit);
        Assert.Equal("sysprint: error: give --threshold or --false-alarms, not both\n", result.Error);
    }

    [Fact]
    public void A_profile_with_logs_learnt_without_windows_is_refused_with_the_way_out()
    {
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_db};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM log_windows WHERE log_id = (SELECT id FROM logs WHERE path LIKE '%long.strace')";
            command.ExecuteNonQuery();
        }

        CliResult result = _cli.Run("check", "--db", _db, "--detector", "zstide", _injected, _short);

        // Said once, not once per log.
        Assert.Equal(66, result.Exit);
        Assert.Equal(
            $"sysprint: error: {_db}: profile 'default' holds 1 log(s) learnt without window counts (by a sysprint before schema 3, or imported from an export without them), so the window detectors (zstide, freq, callset, fused) cannot use it; learn its normal logs again into a new profile with 'sysprint train --profile NAME'\n",
            result.Error);
        Assert.Equal(0, _cli.Run("check", "--db", _db, _short).Exit);
    }

    [Fact]
    public void Check_deploys_exactly_what_eval_measured_on_adfa_ld()
    {
        string adfa = Repository.AdfaLdOrSkip();
        CliResult eval = _cli.RunOk("eval", "--adfa", adfa, "--json");
        string db = _cli.Db("adfa.db");
        _cli.RunOk("train", "--db", db, "--abi", "i386", "--format", "adfa", Path.Combine(adfa, "Training_Data_Master"));

        using JsonDocument measured = JsonDocument.Parse(eval.Out);
        foreach ((string evalName, string detector) in new[] { ("zstide", "zstide"), ("callset", "callset"), ("freq-6", "freq") })
        {
            JsonElement scored = measured.RootElement.GetProperty("detectors").EnumerateArray().Single(d => d.GetProperty("name").GetString() == evalName);
            JsonElement point = scored.GetProperty("points").EnumerateArray()
                .Where(p => p.GetProperty("false_alarm_rate").GetDouble() <= 0.10)
                .MaxBy(p => p.GetProperty("detection_rate").GetDouble());
            string threshold = point.GetProperty("threshold").GetDouble().ToString("R", CultureInfo.InvariantCulture);

            (int attacks, int detected) = Anomalous(db, detector, threshold, Path.Combine(adfa, "Attack_Data_Master"));
            (int normals, int alarms) = Anomalous(db, detector, threshold, Path.Combine(adfa, "Validation_Data_Master"));

            // eval prints rates to 6 decimals: compare the log counts they stand for.
            Assert.Equal(Math.Round(point.GetProperty("detection_rate").GetDouble() * attacks), detected);
            Assert.Equal(Math.Round(point.GetProperty("false_alarm_rate").GetDouble() * normals), alarms);
        }
    }

    private (int Logs, int Anomalous) Anomalous(string db, string detector, string threshold, string directory)
    {
        CliResult result = _cli.Run("check", "--db", db, "--format", "adfa", "--detector", detector, "--threshold", threshold, "--json", directory);
        Assert.True(result.Exit is 0 or 1, result.Error);
        string[] lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return (lines.Length, lines.Count(l => l.Contains("\"verdict\":\"anomalous\"", StringComparison.Ordinal)));
    }
}

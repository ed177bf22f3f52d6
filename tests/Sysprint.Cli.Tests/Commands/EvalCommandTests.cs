using System.Text.Json;
using Sysprint.Cli.Tests.Support;

namespace Sysprint.Cli.Tests.Commands;

/// <summary><c>sysprint eval</c> on a tiny labelled UNM data set: the table, the <c>--json</c> interface, Markdown, PNG plots, errors.</summary>
public sealed class EvalCommandTests : IDisposable
{
    private static readonly string[] s_detectors =
        ["paper", "stide-2", "stide-3", "stide-4", "stide-5", "stide-6", "stide-7", "stide-8", "stide-9", "stide-10", "lfc-6", "zstide", "freq-6", "callset", "fused"];

    private readonly CliSandbox _cli = new();
    private readonly string _train;
    private readonly string _normal;
    private readonly string _attack;

    public EvalCommandTests()
    {
        // Learnt pairs 1→2, 2→3, 3→4, 4→1, 3→5, 5→1; attack kinds Adduser (two runs) and Hydra_FTP.
        _cli.Write("train/t1.log", Unm(10, 1, 2, 3, 4, 1, 2, 3, 4));
        _cli.Write("train/t2.log", Unm(20, 1, 2, 3, 5, 1, 2, 3, 5));
        _cli.Write("normal/n1.log", Unm(11, 1, 2, 3, 4, 1, 2, 3, 5));
        _cli.Write("normal/n2.log", Unm(12, 2, 3, 4, 1, 2));
        _cli.Write("normal/n3.log", Unm(13, 1, 2, 3, 4, 5));
        _cli.Write("attack/Adduser_3/a1.log", Unm(40, 1, 2, 3, 9, 1));
        _cli.Write("attack/Adduser_7/a2.log", Unm(41, 1, 2, 3, 4));
        _cli.Write("attack/Hydra_FTP/b1.log", Unm(42, 4, 1, 2, 6));
        _train = _cli.PathOf("train");
        _normal = _cli.PathOf("normal");
        _attack = _cli.PathOf("attack");
    }

    public void Dispose() => _cli.Dispose();

    private static string Unm(int pid, params int[] calls) => string.Concat(calls.Select(c => $"{pid} {c}\n"));

    private CliResult Eval(params string[] extra) =>
        _cli.Run(["eval", "--train", _train, "--normal", _normal, "--attack", _attack, .. extra]);

    [Fact]
    public void Table_has_its_header_a_row_per_detector_and_a_row_per_attack_kind()
    {
        CliResult result = Eval();

        Assert.Equal(0, result.Exit);
        Assert.Equal("", result.Error);
        string[] lines = result.OutLines;
        Assert.Contains("detector      AUC     detection at false alarms <= 1% / 5% / 10%      threshold at 10%", lines);
        foreach (string name in s_detectors)
        {
            Assert.Single(lines, line => line.StartsWith(name + " ", StringComparison.Ordinal));
        }

        Assert.Contains("detection per attack kind at false alarms <= 10%:", lines);
        Assert.Single(lines, line => line.StartsWith("Adduser ", StringComparison.Ordinal));
        Assert.Single(lines, line => line.StartsWith("Hydra_FTP ", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("best at <= 10% false alarms: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Table_says_how_many_logs_and_calls_each_set_holds()
    {
        CliResult result = Eval();

        Assert.Equal("evaluation", result.OutLines[0]);
        Assert.Equal("learnt 2 logs (16 calls); normal 3 logs (18 calls); attack 3 logs (13 calls) of 2 kinds", result.OutLines[1]);
    }

    [Fact]
    public void Training_log_repeated_verbatim_is_counted_as_read_and_as_learnt_once()
    {
        _cli.Write("train/t1-copy.log", Unm(10, 1, 2, 3, 4, 1, 2, 3, 4));

        CliResult table = Eval();
        CliResult json = Eval("--json");

        // The copy brings no call: the 16 learnt calls are those of the 2 distinct logs.
        Assert.Equal("learnt 3 logs (2 distinct, 16 calls); normal 3 logs (18 calls); attack 3 logs (13 calls) of 2 kinds", table.OutLines[1]);
        using JsonDocument document = JsonDocument.Parse(json.Out);
        JsonElement inputs = document.RootElement.GetProperty("inputs");
        Assert.Equal(3, inputs.GetProperty("train_logs").GetInt32());
        Assert.Equal(2, inputs.GetProperty("train_distinct_logs").GetInt32());
        Assert.Equal(16, inputs.GetProperty("train_calls").GetInt64());
    }

    [Fact]
    public void Table_row_of_the_paper_detector_shows_its_area()
    {
        CliResult result = Eval();

        // Paper scores: normal 0, 0, 1 (4→5); attack 2, 0, 1. Area (3 + 1 + 2.5) / 9.
        string row = Assert.Single(result.OutLines, line => line.StartsWith("paper ", StringComparison.Ordinal));
        Assert.StartsWith("paper         0.722 ", row, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_is_one_object_with_every_detector_its_area_and_its_curve_in_fractions()
    {
        CliResult result = Eval("--json");

        Assert.Equal(0, result.Exit);
        Assert.Equal("", result.Error);
        Assert.Single(result.OutLines);
        using JsonDocument json = JsonDocument.Parse(result.Out);
        Assert.Equal(JsonValueKind.Object, json.RootElement.ValueKind);
        JsonElement[] detectors = [.. json.RootElement.GetProperty("detectors").EnumerateArray()];
        Assert.Equal(s_detectors, detectors.Select(d => d.GetProperty("name").GetString()));
        foreach (JsonElement detector in detectors)
        {
            string name = detector.GetProperty("name").GetString()!;
            Assert.InRange(detector.GetProperty("auc").GetDouble(), 0, 1);
            JsonElement[] points = [.. detector.GetProperty("points").EnumerateArray()];
            Assert.True(points.Length >= 2, $"{name}: {points.Length} points");
            foreach (JsonElement point in points)
            {
                Assert.Equal(JsonValueKind.Number, point.GetProperty("threshold").ValueKind);
                Assert.InRange(point.GetProperty("detection_rate").GetDouble(), 0, 1);
                Assert.InRange(point.GetProperty("false_alarm_rate").GetDouble(), 0, 1);
            }

            Assert.Equal((1.0, 1.0), (points[0].GetProperty("detection_rate").GetDouble(), points[0].GetProperty("false_alarm_rate").GetDouble()));
            Assert.Equal((0.0, 0.0), (points[^1].GetProperty("detection_rate").GetDouble(), points[^1].GetProperty("false_alarm_rate").GetDouble()));
        }
    }

    [Fact]
    public void Json_gives_the_paper_detectors_curve_and_inputs_as_computed_by_hand()
    {
        CliResult result = Eval("--json");

        using JsonDocument json = JsonDocument.Parse(result.Out);
        JsonElement inputs = json.RootElement.GetProperty("inputs");
        Assert.Equal(2, inputs.GetProperty("train_logs").GetInt32());
        Assert.Equal(16, inputs.GetProperty("train_calls").GetInt64());
        Assert.Equal(3, inputs.GetProperty("normal_logs").GetInt32());
        Assert.Equal(5 + 5 + 8, inputs.GetProperty("normal_calls").GetInt64());
        Assert.Equal(3, inputs.GetProperty("attack_logs").GetInt32());
        JsonElement paper = json.RootElement.GetProperty("detectors")[0];
        Assert.Equal(0.722222, paper.GetProperty("auc").GetDouble());
        Assert.Equal(
            [(-1, 1, 1), (0, 0.6667, 0.3333), (1, 0.3333, 0), (2, 0, 0)],
            paper.GetProperty("points").EnumerateArray().Select(p => (
                p.GetProperty("threshold").GetDouble(),
                Math.Round(p.GetProperty("detection_rate").GetDouble(), 4),
                Math.Round(p.GetProperty("false_alarm_rate").GetDouble(), 4))));
    }

    [Fact]
    public void Json_operating_points_give_the_detection_rate_of_each_attack_kind()
    {
        CliResult result = Eval("--json");

        using JsonDocument json = JsonDocument.Parse(result.Out);
        JsonElement paper = json.RootElement.GetProperty("detectors")[0];
        // At ≤ 10% false alarms the paper's threshold is 1: only a1 (2 unseen pairs) is flagged.
        JsonElement at10 = paper.GetProperty("operating_points").EnumerateArray()
            .Single(p => p.GetProperty("max_false_alarm_rate").GetDouble() == 0.10);
        Assert.Equal(1, at10.GetProperty("threshold").GetDouble());
        JsonElement byKind = at10.GetProperty("detection_rate_by_kind");
        Assert.Equal(0.5, byKind.GetProperty("Adduser").GetDouble());
        Assert.Equal(0, byKind.GetProperty("Hydra_FTP").GetDouble());
    }

    [Fact]
    public void Markdown_file_holds_a_table_row_per_detector()
    {
        string md = _cli.PathOf("out/results.md");
        Directory.CreateDirectory(_cli.PathOf("out"));

        CliResult result = Eval("--markdown", md);

        Assert.Equal(0, result.Exit);
        Assert.Equal($"sysprint: wrote {md}\n", result.Error);
        string[] lines = File.ReadAllLines(md);
        Assert.Contains("| detector | what it counts | AUC | detection @ ≤1% FA | @ ≤5% FA | @ ≤10% FA | threshold @ 10% |", lines);
        Assert.Contains("|---|---|---:|---:|---:|---:|---:|", lines);
        foreach (string name in s_detectors)
        {
            Assert.Single(lines, line => line.StartsWith($"| `{name}` | ", StringComparison.Ordinal));
        }

        Assert.Single(lines, line => line.StartsWith("| Adduser | ", StringComparison.Ordinal));
        Assert.Single(lines, line => line.StartsWith("| Hydra_FTP | ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, line => line.Contains("![", StringComparison.Ordinal));
    }

    [Fact]
    public void Plots_are_png_files_of_some_size()
    {
        string dir = _cli.PathOf("plots");

        CliResult result = Eval("--plots", dir);

        Assert.Equal(0, result.Exit);
        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        string[] pngs = [.. Directory.GetFiles(dir).Order(StringComparer.Ordinal)];
        Assert.Equal(["convergence.png", "roc.png", "scores.png"], pngs.Select(Path.GetFileName));
        foreach (string png in pngs)
        {
            byte[] bytes = File.ReadAllBytes(png);
            Assert.True(bytes.Length > 1024, $"{png}: {bytes.Length} bytes");
            Assert.Equal(signature, bytes[..8]);
            Assert.Contains($"sysprint: wrote {png}", result.ErrorLines);
        }
    }

    [Fact]
    public void Markdown_with_plots_links_the_charts_relative_to_the_markdown_file()
    {
        string md = _cli.PathOf("results.md");

        CliResult result = Eval("--markdown", md, "--plots", _cli.PathOf("charts"));

        Assert.Equal(0, result.Exit);
        string[] lines = File.ReadAllLines(md);
        Assert.Contains("![ROC curves](charts/roc.png)", lines);
        Assert.Contains("![Score histograms](charts/scores.png)", lines);
        Assert.Contains("![Convergence](charts/convergence.png)", lines);
        Assert.True(File.Exists(_cli.PathOf("charts/roc.png")));
    }

    [Fact]
    public void Missing_attack_paths_are_a_usage_error()
    {
        CliResult result = _cli.Run("eval", "--train", _train, "--normal", _normal);

        Expect.Failure(result, 64, "eval needs --train, --normal and --attack paths (or --adfa DIR)");
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void Missing_path_is_input_missing()
    {
        string missing = _cli.PathOf("no-such-dir");

        CliResult result = _cli.Run("eval", "--train", _train, "--normal", _normal, "--attack", missing);

        Expect.Failure(result, 66, $"{missing}: no such file or directory");
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void Adfa_directory_that_does_not_exist_is_input_missing()
    {
        string missing = _cli.PathOf("adfa-ld");

        CliResult result = _cli.Run("eval", "--adfa", missing);

        Expect.Failure(result, 66, $"{missing}: no such directory");
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void Unknown_protocol_is_a_usage_error()
    {
        CliResult result = _cli.Run("eval", "--adfa", _train, "--protocol", "c");

        Assert.Equal(64, result.Exit);
        Assert.Contains("'c'", result.Error, StringComparison.Ordinal);
        Assert.Equal("", result.Out);
        Expect.NoStackTrace(result);
    }

    [Fact]
    public void Log_of_blank_lines_is_malformed_input_located_at_its_path()
    {
        string blank = _cli.Write("attack/Hydra_FTP/blank.log", "\n  \n");

        CliResult result = Eval();

        Expect.Failure(result, 65, $"{blank}:1:1: no system calls found: the log holds only blank lines");
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void Malformed_line_is_malformed_input_located_at_its_line()
    {
        string bad = _cli.Write("normal/bad.log", "12 2\n12 3\n12 4\n12 x\n");

        CliResult result = Eval("--format", "unm");

        Expect.Failure(result, 65, $"{bad}:4:4: expected a system call number after the process id, then the end of the line, found 'x'");
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void Empty_file_in_a_searched_directory_is_skipped_as_check_and_train_do()
    {
        string empty = _cli.Write("attack/Hydra_FTP/empty.log", "");

        CliResult result = Eval("--json");

        Assert.Equal(0, result.Exit);
        Assert.Contains($"{empty}: skipped: empty or not a regular file", result.Error, StringComparison.Ordinal);
        using JsonDocument json = JsonDocument.Parse(result.Out);
        Assert.Equal(3, json.RootElement.GetProperty("inputs").GetProperty("attack_logs").GetInt32());
    }
}

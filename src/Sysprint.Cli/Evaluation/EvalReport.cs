using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sysprint.Evaluation;

namespace Sysprint.Cli.Evaluation;

/// <summary>Writes an evaluation as a terminal table, JSON and Markdown.</summary>
internal static class EvalReport
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;

    /// <summary>The detectors shown in the main table and plots (the others are in JSON and Markdown).</summary>
    public static bool IsHeadline(DetectorResult d) =>
        d.Name is "paper" or "stide-6" or "stide-10" or "lfc-6" or "freq-6" || !d.Name.Contains('-', StringComparison.Ordinal);

    public static void WriteTable(TextWriter o, EvalResult r)
    {
        o.WriteLine(r.Inputs.Description.Length > 0 ? r.Inputs.Description : "evaluation");
        o.WriteLine(string.Create(s_inv,
            $"learnt {Learnt(r)}; normal {r.Inputs.Normal.Count:N0} logs ({r.NormalCalls:N0} calls); attack {r.Inputs.Attack.Count:N0} logs ({r.AttackCalls:N0} calls) of {r.AttackKinds.Count} kinds"));
        o.WriteLine();
        o.WriteLine("detector      AUC     detection at false alarms <= 1% / 5% / 10%      threshold at 10%");
        foreach (DetectorResult d in r.Detectors)
        {
            RocPoint p1 = d.Roc.At(0.01);
            RocPoint p5 = d.Roc.At(0.05);
            RocPoint p10 = d.Roc.At(0.10);
            o.WriteLine(string.Create(s_inv,
                $"{d.Name,-12} {d.Roc.Auc,6:F3}   {Pct(p1)}  {Pct(p5)}  {Pct(p10)}   {p10.Threshold,8:G4}"));
        }

        DetectorResult best = Best(r);
        o.WriteLine();
        o.WriteLine($"detection per attack kind at false alarms <= 10%:");
        o.WriteLine("kind              " + string.Concat(r.Detectors.Where(IsHeadline).Select(d => d.Name.PadLeft(10))));
        var byDetector = r.Detectors.Where(IsHeadline).Select(d => r.DetectionByKind(d, d.Roc.At(0.10).Threshold)).ToList();
        foreach (string kind in r.AttackKinds)
        {
            o.WriteLine($"{kind,-18}" + string.Concat(byDetector.Select(k => (k[kind] * 100).ToString("F1", s_inv).PadLeft(9) + "%")));
        }

        o.WriteLine();
        o.WriteLine(string.Create(s_inv,
            $"best at <= 10% false alarms: {best.Name}, {best.Roc.At(0.10).DetectionRate * 100:F1}% detected at {best.Roc.At(0.10).FalseAlarmRate * 100:F1}% false alarms"));
        o.WriteLine(string.Create(s_inv,
            $"time: read {r.LoadTime.TotalMilliseconds:F0} ms, learn {r.LearnTime.TotalMilliseconds:F0} ms, score {r.ScoreTime.TotalMilliseconds:F0} ms"));
    }

    public static DetectorResult Best(EvalResult r) =>
        r.Detectors.OrderByDescending(d => d.Roc.At(0.10).DetectionRate).ThenByDescending(d => d.Roc.Auc).First();

    public static string ToJson(EvalResult r)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("description", r.Inputs.Description);
            json.WriteStartObject("inputs");
            json.WriteNumber("train_logs", r.Inputs.Train.Count);
            json.WriteNumber("train_distinct_logs", r.Convergence.Count);
            json.WriteNumber("train_calls", r.TrainCalls);
            json.WriteNumber("normal_logs", r.Inputs.Normal.Count);
            json.WriteNumber("normal_calls", r.NormalCalls);
            json.WriteNumber("attack_logs", r.Inputs.Attack.Count);
            json.WriteNumber("attack_calls", r.AttackCalls);
            json.WriteEndObject();
            json.WriteStartArray("detectors");
            foreach (DetectorResult d in r.Detectors)
            {
                json.WriteStartObject();
                json.WriteString("name", d.Name);
                json.WriteString("description", d.Description);
                json.WriteNumber("auc", Math.Round(d.Roc.Auc, 6));
                json.WriteStartArray("operating_points");
                foreach (double target in DetectorResult.ReportedFalseAlarmRates)
                {
                    RocPoint p = d.Roc.At(target);
                    json.WriteStartObject();
                    json.WriteNumber("max_false_alarm_rate", target);
                    WritePoint(json, p);
                    json.WriteStartObject("detection_rate_by_kind");
                    foreach (var (kind, rate) in r.DetectionByKind(d, p.Threshold))
                    {
                        json.WriteNumber(kind, Math.Round(rate, 6));
                    }

                    json.WriteEndObject();
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteStartArray("points");
                foreach (RocPoint p in d.Roc.Points)
                {
                    json.WriteStartObject();
                    WritePoint(json, p);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartObject("seconds");
            json.WriteNumber("read", Math.Round(r.LoadTime.TotalSeconds, 4));
            json.WriteNumber("learn", Math.Round(r.LearnTime.TotalSeconds, 4));
            json.WriteNumber("score", Math.Round(r.ScoreTime.TotalSeconds, 4));
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static string ToMarkdown(EvalResult r, string? plotsRelative)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"**{r.Inputs.Description}**");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"Learnt {Learnt(r)}; normal {r.Inputs.Normal.Count:N0} logs ({r.NormalCalls:N0} calls); attack {r.Inputs.Attack.Count:N0} logs ({r.AttackCalls:N0} calls) of {r.AttackKinds.Count} kinds.");
        sb.AppendLine();
        sb.AppendLine("| detector | what it counts | AUC | detection @ ≤1% FA | @ ≤5% FA | @ ≤10% FA | threshold @ 10% |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (DetectorResult d in r.Detectors)
        {
            RocPoint p10 = d.Roc.At(0.10);
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| `{d.Name}` | {d.Description} | {d.Roc.Auc:F3} | {Md(d.Roc.At(0.01))} | {Md(d.Roc.At(0.05))} | {Md(p10)} | {p10.Threshold:G4} |");
        }

        sb.AppendLine();
        var headline = r.Detectors.Where(IsHeadline).ToList();
        sb.AppendLine("Detection per attack kind at ≤ 10% false alarms:");
        sb.AppendLine();
        sb.AppendLine("| kind | " + string.Join(" | ", headline.Select(d => $"`{d.Name}`")) + " |");
        sb.AppendLine("|---|" + string.Concat(headline.Select(_ => "---:|")));
        var byKind = headline.Select(d => r.DetectionByKind(d, d.Roc.At(0.10).Threshold)).ToList();
        foreach (string kind in r.AttackKinds)
        {
            sb.AppendLine($"| {kind} | " + string.Join(" | ", byKind.Select(k => (k[kind] * 100).ToString("F1", CultureInfo.InvariantCulture) + "%")) + " |");
        }

        if (plotsRelative is not null)
        {
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"![ROC curves]({plotsRelative}/roc.png)");
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"![Score histograms]({plotsRelative}/scores.png)");
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"![Convergence]({plotsRelative}/convergence.png)");
        }

        return sb.ToString();
    }

    // A log repeated verbatim is learnt once, and the calls counted are those learnt: say so when
    // it happened, or the log count and the call count would not describe the same logs.
    private static string Learnt(EvalResult r) => r.Convergence.Count == r.Inputs.Train.Count
        ? string.Create(s_inv, $"{r.Inputs.Train.Count:N0} logs ({r.TrainCalls:N0} calls)")
        : string.Create(s_inv, $"{r.Inputs.Train.Count:N0} logs ({r.Convergence.Count:N0} distinct, {r.TrainCalls:N0} calls)");

    private static void WritePoint(Utf8JsonWriter json, RocPoint p)
    {
        json.WriteNumber("threshold", p.Threshold);
        json.WriteNumber("detection_rate", Math.Round(p.DetectionRate, 6));
        json.WriteNumber("false_alarm_rate", Math.Round(p.FalseAlarmRate, 6));
    }

    private static string Pct(RocPoint p) =>
        string.Create(s_inv, $"{p.DetectionRate * 100,5:F1}% ({p.FalseAlarmRate * 100,4:F1}%)");

    private static string Md(RocPoint p) =>
        string.Create(s_inv, $"{p.DetectionRate * 100:F1}% ({p.FalseAlarmRate * 100:F1}%)");
}

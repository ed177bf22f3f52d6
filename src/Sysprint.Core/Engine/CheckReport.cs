using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sysprint.Mapping;
using Sysprint.Model;

namespace Sysprint.Engine;

/// <summary>
/// Renders a check outcome: the JSON object of <c>check --json</c> (one per log, fields
/// <c>log</c>, <c>verdict</c>, <c>syscalls</c>, <c>mismatches</c>, <c>details</c> are an interface)
/// and the human lines.
/// </summary>
public static class CheckReport
{
    private static readonly JsonWriterOptions s_compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The whole JSON object for one log, on one line.</summary>
    public static string ToJson(CheckOutcome outcome, SyscallTable table, string? vm, int maxDetails = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(table);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, s_compact))
        {
            json.WriteStartObject();
            json.WriteString("log", outcome.Path);
            json.WriteString("verdict", outcome.Verdict);
            json.WriteNumber("syscalls", outcome.Syscalls);
            json.WriteNumber("mismatches", outcome.MismatchCount);
            json.WriteNumber("distinct_mismatches", outcome.Mismatches.Count);
            json.WriteString("profile", outcome.Profile);
            json.WriteString("detector", outcome.Detector);
            json.WriteNumber("threshold", outcome.Threshold);
            json.WriteNumber("score", outcome.Score);
            if (vm is null)
            {
                json.WriteNull("vm");
            }
            else
            {
                json.WriteString("vm", vm);
            }

            json.WriteString("format", outcome.Read.Format.ToString().ToLowerInvariant());
            json.WriteNumber("lines", outcome.Read.Lines);
            json.WriteNumber("skipped_lines", outcome.Read.SkippedLines);
            json.WritePropertyName("details");
            WriteDetails(json, outcome, table, maxDetails);
            json.WriteBoolean("details_truncated", outcome.DetailsTruncated || outcome.Mismatches.Count > maxDetails);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Only the <c>details</c> array (what the store keeps with a check).</summary>
    public static string DetailsJson(CheckOutcome outcome, SyscallTable table, int maxDetails)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, s_compact))
        {
            WriteDetails(json, outcome, table, maxDetails);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>One line per distinct mismatch: <c>line 52  pid 4321  openat(257) → socket(41)  ×2</c>.</summary>
    public static string DescribeMismatch(Mismatch mismatch, SyscallTable table)
    {
        ArgumentNullException.ThrowIfNull(mismatch);
        ArgumentNullException.ThrowIfNull(table);
        var sb = new StringBuilder();
        if (mismatch.Reason == CallSetReasons.Missing)
        {
            return $"never made  {Call(mismatch.Next, table)}  ({mismatch.Reason})";
        }

        sb.Append(CultureInfo.InvariantCulture, $"line {mismatch.FirstLine}  pid {mismatch.Thread}  ");
        if (mismatch.Reason == CallSetReasons.Added)
        {
            sb.Append(Call(mismatch.Next, table));
        }
        else if (mismatch.Gram.Length == 1)
        {
            sb.Append("(thread start) → ");
        }
        else
        {
            for (int i = 0; i < mismatch.Gram.Length - 1; i++)
            {
                sb.Append(Call(mismatch.Gram[i], table)).Append(" → ");
            }
        }

        if (mismatch.Reason != CallSetReasons.Added)
        {
            sb.Append(Call(mismatch.Next, table));
        }

        if (mismatch.Count > 1)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  ×{mismatch.Count}");
        }

        if (mismatch.Reason is not null)
        {
            sb.Append("  (").Append(mismatch.Reason).Append(')');
        }

        return sb.ToString();
    }

    /// <summary><c>openat(257)</c>.</summary>
    public static string Call(int number, SyscallTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return string.Create(CultureInfo.InvariantCulture, $"{table.NameOf(number)}({number})");
    }

    /// <summary>
    /// The human verdict on one log: a line, then (when anomalous) the first <paramref name="shown"/>
    /// distinct mismatches. <paramref name="name"/> is the log as shown (escaped);
    /// <paramref name="trailer"/> ends the first line (e.g. a traced command's exit status).
    /// </summary>
    public static void WriteVerdict(TextWriter output, CheckOutcome outcome, SyscallTable table, string name, int shown, string trailer = "", string more = "")
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(table);
        if (!outcome.Anomalous)
        {
            string tolerated = outcome.MismatchCount > 0
                ? $", {outcome.MismatchCount} mismatches ({outcome.Detector} score {outcome.Score}) within threshold {outcome.Threshold}"
                : "";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"normal     {name}  {outcome.Syscalls:N0} syscalls match profile '{outcome.Profile}'{tolerated}{trailer}"));
            return;
        }

        string scored = outcome.Detector == Detection.PaperDetector.KindName && outcome.Threshold == 0
            ? ""
            : string.Create(CultureInfo.InvariantCulture, $", {outcome.Detector} score {outcome.Score} > threshold {outcome.Threshold}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ANOMALOUS  {name}  {outcome.MismatchCount:N0} mismatch{(outcome.MismatchCount == 1 ? "" : "es")} ({outcome.Mismatches.Count} distinct) in {outcome.Syscalls:N0} syscalls, profile '{outcome.Profile}'{scored}{trailer}"));
        int listed = 0;
        foreach (Mismatch mismatch in outcome.Mismatches)
        {
            if (listed++ == shown)
            {
                output.WriteLine($"    ... and {outcome.Mismatches.Count - shown} more{more}");
                break;
            }

            output.WriteLine("    " + DescribeMismatch(mismatch, table));
        }
    }

    /// <summary>A one-line reason for an alert: the first offending transitions.</summary>
    public static string Summary(CheckOutcome outcome, SyscallTable table, int shown = 3)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var parts = outcome.Mismatches.Take(shown).Select(m => m.Reason switch
        {
            CallSetReasons.Added => "+" + table.NameOf(m.Next),
            CallSetReasons.Missing => "-" + table.NameOf(m.Next),
            _ => (m.Previous is { } p ? table.NameOf(p) : "(start)") + " → " + table.NameOf(m.Next) + (m.Reason is null ? "" : $" ({m.Reason})"),
        });
        string more = outcome.Mismatches.Count > shown ? $" and {outcome.Mismatches.Count - shown} more" : "";
        string score = Detectors.ReadsWindowCounts(outcome.Detector)
            ? string.Create(CultureInfo.InvariantCulture, $"{outcome.Detector} score {outcome.Score:0.###}, ")
            : "";
        return $"{score}{outcome.MismatchCount} mismatch{(outcome.MismatchCount == 1 ? "" : "es")}: {string.Join(", ", parts)}{more}";
    }

    private static void WriteDetails(Utf8JsonWriter json, CheckOutcome outcome, SyscallTable table, int maxDetails)
    {
        json.WriteStartArray();
        int written = 0;
        foreach (Mismatch m in outcome.Mismatches)
        {
            if (written++ >= maxDetails)
            {
                break;
            }

            json.WriteStartObject();
            json.WriteNumber("line", m.FirstLine);
            json.WriteNumber("pid", m.Thread);
            if (m.Previous is { } prev)
            {
                json.WriteString("prev", table.NameOf(prev));
            }
            else
            {
                json.WriteNull("prev");
            }

            json.WriteString("next", table.NameOf(m.Next));
            if (m.Previous is { } prevNr)
            {
                json.WriteNumber("prev_nr", prevNr);
            }
            else
            {
                json.WriteNull("prev_nr");
            }

            json.WriteNumber("next_nr", m.Next);
            json.WriteNumber("count", m.Count);
            if (m.Reason is not null)
            {
                json.WriteString("reason", m.Reason);
            }

            if (m.Gram.Length > 2)
            {
                json.WriteStartArray("window");
                foreach (int nr in m.Gram)
                {
                    json.WriteStringValue(table.NameOf(nr));
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}

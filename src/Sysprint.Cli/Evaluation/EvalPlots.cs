using ScottPlot;
using Sysprint.Diagnostics;
using Sysprint.Evaluation;

namespace Sysprint.Cli.Evaluation;

/// <summary>The evaluation's PNG charts: ROC curves, score histograms, convergence.</summary>
internal static class EvalPlots
{
    private const int Width = 900;
    private const int Height = 600;

    /// <summary>Loads the native drawing library (SkiaSharp's libSkiaSharp.so) the charts need.</summary>
    /// <exception cref="SysprintException">It is not there (69): the native package does not ship it.</exception>
    public static void EnsureAvailable()
    {
        try
        {
            using var probe = new SkiaSharp.SKBitmap(1, 1);
        }
        catch (Exception e) when (IsLibraryMissing(e))
        {
            throw new SysprintException(ErrorKind.Unavailable,
                "--plots needs SkiaSharp's native library (libSkiaSharp.so, libHarfBuzzSharp.so), which the native binary of the " +
                "sysprint package leaves out: put both beside the binary (from a 'dotnet publish' of src/Sysprint.Cli), or draw " +
                "the plots with the developer build (./sysprint eval ... --plots DIR)", e);
        }
    }

    /// <summary>A missing native library surfaces wrapped in the type initialisers that tried to load it.</summary>
    private static bool IsLibraryMissing(Exception e)
    {
        Exception? cause = e;
        while (cause is TypeInitializationException)
        {
            cause = cause.InnerException;
        }

        return cause is DllNotFoundException;
    }

    public static IReadOnlyList<string> Write(EvalResult result, string directory)
    {
        Directory.CreateDirectory(directory);
        return
        [
            Roc(result, Path.Combine(directory, "roc.png")),
            Scores(result, Path.Combine(directory, "scores.png")),
            Convergence(result, Path.Combine(directory, "convergence.png")),
        ];
    }

    private static string Roc(EvalResult result, string path)
    {
        var plot = new Plot();
        foreach (DetectorResult d in result.Detectors.Where(EvalReport.IsHeadline))
        {
            double[] xs = [.. d.Roc.Points.Select(p => p.FalseAlarmRate)];
            double[] ys = [.. d.Roc.Points.Select(p => p.DetectionRate)];
            var line = plot.Add.ScatterLine(xs, ys);
            line.LegendText = $"{d.Name} (AUC {d.Roc.Auc:F3})";
            line.LineWidth = 2;
        }

        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LinePattern = LinePattern.Dotted;
        diagonal.Color = Colors.Gray;
        var limit = plot.Add.VerticalLine(0.10);
        limit.LinePattern = LinePattern.Dashed;
        limit.Color = Colors.Gray;
        limit.LabelText = "10% false alarms";
        plot.Title($"ROC: {Short(result)}");
        plot.XLabel("false-alarm rate (normal logs flagged)");
        plot.YLabel("detection rate (attack logs flagged)");
        plot.Axes.SetLimits(0, 1, 0, 1.02);
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, Width, Height);
        return path;
    }

    private static string Scores(EvalResult result, string path)
    {
        // The best detector and the paper's, side by side as normal-vs-attack histograms.
        DetectorResult best = EvalReport.Best(result);
        DetectorResult paper = result.Detectors[0];
        var multi = new Multiplot();
        multi.AddPlots(best == paper ? 1 : 2);
        Histogram(multi.GetPlot(0), paper);
        if (best != paper)
        {
            Histogram(multi.GetPlot(1), best);
        }

        multi.SavePng(path, Width, Height);
        return path;
    }

    private static void Histogram(Plot plot, DetectorResult d)
    {
        // Counts of mismatches span several decades: log-scale them; other scores (z-scores,
        // distances) are binned linearly between their extremes.
        double min = Math.Min(d.NormalScores.Min(), d.AttackScores.Min());
        double max = Math.Max(d.NormalScores.Max(), d.AttackScores.Max());
        bool logScale = min >= 0 && max > 10;
        Func<double, double> scale = logScale ? s => Math.Log10(1 + s) : s => s;
        double low = scale(min);
        int bins = 40;
        double width = Math.Max(scale(max) - low, 1e-9) / bins;
        double[] Counts(double[] scores)
        {
            var counts = new double[bins + 1];
            foreach (double s in scores)
            {
                counts[Math.Clamp((int)((scale(s) - low) / width), 0, bins)] += 1.0 / scores.Length;
            }

            return counts;
        }

        double[] positions = [.. Enumerable.Range(0, bins + 1).Select(i => low + ((i + 0.5) * width))];
        var normal = plot.Add.Bars(positions, Counts(d.NormalScores));
        normal.LegendText = $"normal ({d.NormalScores.Length})";
        normal.Color = Colors.SteelBlue.WithAlpha(0.6);
        var attack = plot.Add.Bars(positions, Counts(d.AttackScores));
        attack.LegendText = $"attack ({d.AttackScores.Length})";
        attack.Color = Colors.OrangeRed.WithAlpha(0.6);
        foreach (var bar in normal.Bars.Concat(attack.Bars))
        {
            bar.Size = width * 0.95;
            bar.LineWidth = 0;
        }

        plot.Title($"{d.Name}: score distribution");
        plot.XLabel(logScale ? "log10(1 + score)" : "score");
        plot.YLabel("fraction of logs");
        plot.ShowLegend(Alignment.UpperRight);
    }

    private static string Convergence(EvalResult result, string path)
    {
        var plot = new Plot();
        double[] xs = [.. result.Convergence.Select(c => (double)c.Traces)];
        var pairs = plot.Add.ScatterLine(xs, [.. result.Convergence.Select(c => (double)c.Pairs)]);
        pairs.LegendText = "distinct pairs (the paper's fingerprint, window 2)";
        pairs.LineWidth = 2;
        var six = plot.Add.ScatterLine(xs, [.. result.Convergence.Select(c => (double)c.Windows6)]);
        six.LegendText = "distinct windows of 6 calls";
        six.LineWidth = 2;
        plot.Axes.Right.IsVisible = false;
        plot.Title($"Fingerprint size against learnt logs: {Short(result)}");
        plot.XLabel("normal logs learnt");
        plot.YLabel("fingerprint entries");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, Width, Height);
        return path;
    }

    private static string Short(EvalResult result)
    {
        string d = result.Inputs.Description;
        int colon = d.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? d[..colon] : (d.Length > 0 ? d : "evaluation");
    }
}

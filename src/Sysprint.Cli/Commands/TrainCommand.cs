using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Sysprint.App.Learning;
using Sysprint.Diagnostics;
using Sysprint.Engine;
using Sysprint.Mapping;
using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.Cli.Commands;

/// <summary><c>sysprint train</c>: learns normal logs into the fingerprint database.</summary>
internal static class TrainCommand
{
    /// <summary>More logs than this get a progress bar (on a terminal) instead of a line each.</summary>
    private const int ProgressAbove = 20;

    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Db();
        var profile = CommonOptions.Profile();
        var format = CommonOptions.Format();
        var window = CommonOptions.Window();
        var abi = CommonOptions.Abi();
        var mapping = CommonOptions.Mapping();
        var learnNames = CommonOptions.LearnNames();
        var skipMalformed = CommonOptions.SkipMalformed();
        var maxLine = CommonOptions.MaxLineBytes();
        var maxThreads = CommonOptions.MaxThreads();
        var maxCalls = CommonOptions.MaxCalls();
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the summary" };
        var paths = CommonOptions.Paths();

        var command = new Command("train", "Learn the fingerprint from logs of normal executions")
        {
            db, profile, format, window, abi, mapping, learnNames, skipMalformed, maxLine, maxThreads, maxCalls, quiet, paths,
        };
        command.SetAction(result =>
        {
            LogReadOptions options = CommonOptions.ReadOptions(result, format, learnNames, skipMalformed, maxLine, maxThreads, maxCalls);
            var notes = new List<string>();
            IReadOnlyList<string> files = LogFinder.Expand(result.GetValue(paths)!, notes);
            foreach (string note in notes)
            {
                context.Note(Printable.Escape(note));
            }

            StoreAddress address = StoreLocator.Resolve(result.GetValue(db), context);
            using IFingerprintStore store = StoreLocator.Open(address, create: true, context);
            SyscallTable table = StoreLocator.Mapping(store, result.GetValue(abi), result.GetValue(mapping));
            var learning = new LearnService(store, table, options);
            return Run(context, learning, files, result.GetValue(profile)!, result.GetValue(window), result.GetValue(quiet));
        });
        return command;
    }

    private static int Run(CliContext context, LearnService learning, IReadOnlyList<string> files, string profile, int? window, bool quiet)
    {
        var results = new List<LearnResult>(files.Count);
        int worstExit = ExitCodes.Ok;
        bool progress = context.Interactive && files.Count > ProgressAbove;
        bool perLog = !quiet && !progress;

        void Report(LearnResult learnt)
        {
            results.Add(learnt);
            if (learnt.Outcome is { } outcome)
            {
                if (perLog)
                {
                    context.Out.WriteLine(Describe(outcome));
                }

                ReportSkipped(context, outcome.Read);
            }
            else
            {
                // One bad log does not stop the others; it is reported and sets the exit code.
                worstExit = Math.Max(worstExit, ExitCodes.Of(learnt.Error!));
                context.Fail(Printable.Escape(ErrorText.Of(learnt.Error!)));
            }
        }

        if (progress)
        {
            context.ErrorConsole.Progress().Start(ctx =>
            {
                ProgressTask task = ctx.AddTask("learning", maxValue: files.Count);
                foreach (LearnResult learnt in learning.LearnAll(files, profile, window))
                {
                    Report(learnt);
                    task.Increment(1);
                }
            });
        }
        else
        {
            foreach (LearnResult learnt in learning.LearnAll(files, profile, window))
            {
                Report(learnt);
            }
        }

        Summarise(context, learning.Summarise(results));
        return worstExit;
    }

    private static string Describe(TrainOutcome o)
    {
        string path = Printable.Escape(o.Path);
        if (o.AlreadyLearnt)
        {
            return $"same     {path}  already learnt into '{o.Profile}' ({Printable.Escape(o.Log.Path)}, {o.Log.Time:yyyy-MM-dd HH:mm}Z): nothing changed";
        }

        string added = o.Log.NewTransitions == 0 ? "no new transitions" : $"+{o.Log.NewTransitions:N0} transitions";
        return string.Create(CultureInfo.InvariantCulture,
            $"learnt   {path}  {o.Log.Syscalls:N0} syscalls, {added}, fingerprint '{o.Profile}' {o.FingerprintSize:N0}");
    }

    private static void Summarise(CliContext context, LearnSummary summary)
    {
        string failed = summary.Failed > 0 ? $", {summary.Failed} failed" : "";
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{summary.Logs} log{(summary.Logs == 1 ? "" : "s")}: {summary.Learnt} learnt, {summary.AlreadyLearnt} already learnt{failed}; {summary.Syscalls:N0} syscalls read"));

        foreach (ProfileStability p in summary.Profiles)
        {
            string stability = p.LogsLearnt == 0
                ? "nothing learnt yet"
                : p.Stable
                    ? $"the last {p.QuietRun} logs learnt added nothing: the fingerprint has stabilised"
                    : p.QuietRun > 0
                        ? $"the last {p.QuietRun} log{(p.QuietRun == 1 ? "" : "s")} learnt added nothing; {LearnService.StableAfter} in a row are needed to call it stable"
                        : $"the last log learnt added {p.LastAdded} transitions: not stable yet, learn more normal runs";
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"profile '{p.Profile}': {p.Transitions:N0} transitions over {p.KnownCalls} calls, {p.LogsLearnt:N0} log{(p.LogsLearnt == 1 ? "" : "s")} learnt; {stability}"));
        }
    }

    internal static void ReportSkipped(CliContext context, LogReadResult? read)
    {
        if (read is null)
        {
            return;
        }

        if (read.SkippedLines > 0)
        {
            context.Note($"{Printable.Escape(read.Path)}: skipped {read.SkippedLines:N0} malformed line{(read.SkippedLines == 1 ? "" : "s")}, first ones:");
            foreach (InputLocation location in read.FirstSkipped)
            {
                context.Error.WriteLine($"  {Printable.Escape(ErrorText.Of(location))}");
            }
        }

        if (read.ForeignLines > 0)
        {
            context.Note($"{Printable.Escape(read.Path)}: ignored {read.ForeignLines:N0} line{(read.ForeignLines == 1 ? "" : "s")} of the program's own output mixed into the trace");
        }
    }
}

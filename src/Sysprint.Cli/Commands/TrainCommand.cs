using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Sysprint.Diagnostics;
using Sysprint.Engine;
using Sysprint.Mapping;
using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.Cli.Commands;

/// <summary><c>sysprint train</c>: learns normal logs into the fingerprint database.</summary>
internal static class TrainCommand
{
    /// <summary>Logs in a row that must add nothing before the fingerprint is called stable.</summary>
    private const int StableAfter = 3;

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
            var trainer = new Trainer(store, table, options);
            return Run(context, store, trainer, files, result.GetValue(profile)!, result.GetValue(window), result.GetValue(quiet));
        });
        return command;
    }

    private static int Run(CliContext context, IFingerprintStore store, Trainer trainer, IReadOnlyList<string> files, string profile, int? window, bool quiet)
    {
        var outcomes = new List<TrainOutcome>(files.Count);
        int failures = 0;
        int worstExit = ExitCodes.Ok;
        bool progress = context.Interactive && files.Count > ProgressAbove;
        bool perLog = !quiet && !progress;

        void LearnOne(string file)
        {
            try
            {
                TrainOutcome outcome = trainer.Learn(file, profile, window);
                outcomes.Add(outcome);
                if (perLog)
                {
                    context.Out.WriteLine(Describe(outcome));
                }

                ReportSkipped(context, outcome.Read);
            }
            catch (SysprintException e) when (e.Kind is ErrorKind.MalformedInput or ErrorKind.InputMissing)
            {
                // One bad log does not stop the others; it is reported and sets the exit code.
                failures++;
                worstExit = Math.Max(worstExit, ExitCodes.Of(e));
                context.Fail(Printable.Escape(e.Message));
            }
        }

        if (progress)
        {
            context.ErrorConsole.Progress().Start(ctx =>
            {
                ProgressTask task = ctx.AddTask("learning", maxValue: files.Count);
                foreach (string file in files)
                {
                    LearnOne(file);
                    task.Increment(1);
                }
            });
        }
        else
        {
            foreach (string file in files)
            {
                LearnOne(file);
            }
        }

        Summarise(context, store, outcomes, failures);
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

    private static void Summarise(CliContext context, IFingerprintStore store, List<TrainOutcome> outcomes, int failures)
    {
        int fresh = outcomes.Count(o => !o.AlreadyLearnt);
        int same = outcomes.Count - fresh;
        long syscalls = outcomes.Where(o => !o.AlreadyLearnt).Sum(o => o.Log.Syscalls);
        string failed = failures > 0 ? $", {failures} failed" : "";
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{outcomes.Count + failures} log{(outcomes.Count + failures == 1 ? "" : "s")}: {fresh} learnt, {same} already learnt{failed}; {syscalls:N0} syscalls read"));

        foreach (var group in outcomes.GroupBy(o => o.Profile).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            TrainOutcome last = group.Last();

            // Stability is judged over the profile's whole history in the store, not this run only,
            // so learning one log at a time (from cron, say) still tells when the fingerprint settled.
            ProfileInfo? info = store.FindProfile(group.Key);
            IReadOnlyList<LearntLog> history = info is null ? [] : store.ListLearntLogs(info.Id);
            int quietRun = 0;
            for (int i = history.Count - 1; i >= 0 && history[i].NewTransitions == 0; i--)
            {
                quietRun++;
            }

            string stability = history.Count == 0
                ? "nothing learnt yet"
                : quietRun >= StableAfter
                    ? $"the last {quietRun} logs learnt added nothing: the fingerprint has stabilised"
                    : quietRun > 0
                        ? $"the last {quietRun} log{(quietRun == 1 ? "" : "s")} learnt added nothing; {StableAfter} in a row are needed to call it stable"
                        : $"the last log learnt added {history[^1].NewTransitions} transitions: not stable yet, learn more normal runs";
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"profile '{group.Key}': {last.FingerprintSize:N0} transitions over {last.KnownCalls} calls, {history.Count:N0} log{(history.Count == 1 ? "" : "s")} learnt; {stability}"));
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
                context.Error.WriteLine($"  {Printable.Escape(location.ToString())}");
            }
        }

        if (read.ForeignLines > 0)
        {
            context.Note($"{Printable.Escape(read.Path)}: ignored {read.ForeignLines:N0} line{(read.ForeignLines == 1 ? "" : "s")} of the program's own output mixed into the trace");
        }
    }
}

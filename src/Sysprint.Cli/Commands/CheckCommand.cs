using System.CommandLine;
using Sysprint.Agent.Alerts;
using Sysprint.Agent.Outbox;
using Sysprint.App.Checking;
using Sysprint.Diagnostics;
using Sysprint.Engine;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.Cli.Commands;

/// <summary><c>sysprint check</c>: matches logs against the fingerprint and raises alerts.</summary>
internal static class CheckCommand
{
    /// <summary>Distinct mismatches listed per anomalous log in text output.</summary>
    private const int ShownMismatches = 20;

    /// <summary>Alerts sent to the sinks per anomalous log (one per distinct mismatch).</summary>
    private const int SentMismatches = 20;

    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Db();
        var profile = CommonOptions.Profile();
        var format = CommonOptions.Format();
        var learnNames = CommonOptions.LearnNames();
        var skipMalformed = CommonOptions.SkipMalformed();
        var maxLine = CommonOptions.MaxLineBytes();
        var maxThreads = CommonOptions.MaxThreads();
        var maxCalls = CommonOptions.MaxCalls();
        var json = new Option<bool>("--json") { Description = "One JSON object per log on stdout" };
        var threshold = new Option<double?>("--threshold")
        {
            Description = "Mismatches tolerated before a log is anomalous (default: the profile's, 0 unless set)",
            HelpName = "N",
        };
        threshold.Validators.Add(r =>
        {
            if (CommonOptions.TryValue(r, out double? t) && t is < 0)
            {
                r.AddError("--threshold must not be negative");
            }
        });
        var detector = new Option<string?>("--detector")
        {
            Description = $"How mismatches are weighed: {string.Join(", ", Detectors.All)} (default: the profile's, 'paper' unless set with 'sysprint profile')",
            HelpName = "NAME",
        };
        var vm = new Option<string?>("--vm") { Description = "The VM the logs came from, named in alerts", HelpName = "NAME" };
        var trust = CommonOptions.Trust();
        var paths = CommonOptions.Paths();

        var command = new Command("check", "Check logs against the fingerprint; exit 1 when any is anomalous")
        {
            db, profile, format, learnNames, skipMalformed, maxLine, maxThreads, maxCalls, json, threshold, detector, vm, trust, paths,
        };

        // Alert sinks (issue 5): check's stdout keeps its verdicts, so no --quiet here.
        var sinks = AlertSinkOptions.Create(withQuiet: false);
        sinks.AddTo(command);
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
            using IFingerprintStore store = StoreLocator.Open(address, create: false, context);
            SyscallTable table = StoreLocator.Mapping(store, null, null);
            var checking = new CheckService(store, table, options, CommonOptions.Verifier(result, trust, context));
            var request = new CheckRequest(result.GetValue(profile)!, result.GetValue(threshold), result.GetValue(detector), result.GetValue(vm));
            if (!sinks.AnySink(result))
            {
                return Run(context, table, checking, files, request, result.GetValue(json));
            }

            AlertOutbox outbox = AlertSinkOptions.OpenOutbox(address, context, sinks.Sinks(result), console: null);
            try
            {
                var alerts = new AlertFactory(AlertSinkOptions.Hostname(context));
                int exit = Run(context, table, checking, files, request, result.GetValue(json), (outbox, alerts));
                AlertSinkOptions.FlushAsync(outbox, context, TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
                return exit;
            }
            finally
            {
                outbox.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        });
        return command;
    }

    private static int Run(CliContext context, SyscallTable table, CheckService checking, IReadOnlyList<string> files, CheckRequest request, bool json,
        (AlertOutbox Outbox, AlertFactory Factory)? alerting = null)
    {
        int exit = ExitCodes.Ok;
        int errorExit = ExitCodes.Ok;

        // A profile's trouble (missing, learnt without window counts) is the same for every log: said once.
        var said = new HashSet<string>(StringComparer.Ordinal);

        // Each batch comes back recorded: its verdicts are printed only now, in the order of the
        // inputs, so a verdict printed is a check recorded.
        foreach (CheckBatch batch in checking.CheckAll(files, request, AlertSinkOptions.Hostname(context)))
        {
            foreach (CheckOutcome outcome in batch.Outcomes)
            {
                TrainCommand.ReportSkipped(context, outcome.Read);
                if (json)
                {
                    context.Out.WriteLine(CheckReport.ToJson(outcome, table, request.Vm));
                }
                else
                {
                    WriteText(context.Out, outcome, table);
                }

                if (outcome.Anomalous)
                {
                    exit = ExitCodes.Anomalous;
                    if (alerting is { } a)
                    {
                        SendAlerts(a.Outbox, a.Factory, outcome, table, request.Vm);
                    }
                }
            }

            // What a log cannot cause (a usage error, the store, a seal) stops the run as it would have there.
            batch.Failure?.Throw();
            foreach (SysprintException e in batch.LogErrors)
            {
                errorExit = Math.Max(errorExit, ExitCodes.Of(e));
                string message = ErrorText.Of(e);
                if (said.Add(message))
                {
                    context.Fail(Printable.Escape(message));
                }
            }
        }

        // A log that could not be read outranks the verdicts: the run is incomplete.
        return errorExit != ExitCodes.Ok ? errorExit : exit;
    }

    /// <summary>
    /// One alert per distinct mismatch (the first <see cref="SentMismatches"/>). Their ids hash the
    /// log's content: checking the same log again sends nothing new.
    /// </summary>
    private static void SendAlerts(AlertOutbox outbox, AlertFactory factory, CheckOutcome outcome, SyscallTable table, string? vm)
    {
        string path = Path.GetFullPath(outcome.Path);
        string key = Trainer.Hash(outcome.Path).Sha256;
        var subject = new AlertSubject(vm, path, key, outcome.Read.FirstProgram, outcome.Profile, outcome.Detector);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        foreach (Mismatch mismatch in outcome.Mismatches.Take(SentMismatches))
        {
            outbox.Raise(factory.Mismatch(subject, mismatch, table, now));
        }
    }

    private static void WriteText(TextWriter output, CheckOutcome outcome, SyscallTable table) =>
        CheckReport.WriteVerdict(output, outcome, table, Printable.Escape(outcome.Path), ShownMismatches, more: " (--json lists all)");
}

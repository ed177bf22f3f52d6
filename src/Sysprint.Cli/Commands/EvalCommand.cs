using System.CommandLine;
using Sysprint.Cli.Evaluation;
using Sysprint.Diagnostics;
using Sysprint.Evaluation;
using Sysprint.Mapping;
using Sysprint.Parsing;

namespace Sysprint.Cli.Commands;

/// <summary><c>sysprint eval</c>: detection and false-alarm rates of every detector on labelled logs.</summary>
internal static class EvalCommand
{
    public static Command Create(CliContext context)
    {
        var train = new Option<string[]>("--train") { Description = "Normal logs to learn from (files or directories)", AllowMultipleArgumentsPerToken = true, HelpName = "PATH" };
        var normal = new Option<string[]>("--normal") { Description = "Normal logs to check: false alarms", AllowMultipleArgumentsPerToken = true, HelpName = "PATH" };
        var attack = new Option<string[]>("--attack") { Description = "Attack logs to check: detections; each first-level subfolder is an attack kind", AllowMultipleArgumentsPerToken = true, HelpName = "PATH" };
        var adfa = new Option<string?>("--adfa") { Description = "Shorthand for the ADFA-LD layout (Training_/Validation_/Attack_Data_Master)", HelpName = "DIR" };
        var protocol = new Option<string>("--protocol") { Description = "With --adfa: 'a' learns Training only; 'b' also learns the odd-numbered validation traces", DefaultValueFactory = _ => "a" };
        protocol.AcceptOnlyFromAmong("a", "b");
        var format = CommonOptions.Format();
        var abi = CommonOptions.Abi();
        var mapping = CommonOptions.Mapping();
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of the table" };
        var markdown = new Option<string?>("--markdown") { Description = "Also write the results as Markdown to FILE", HelpName = "FILE" };
        var plots = new Option<string?>("--plots") { Description = "Also write PNG charts (ROC, score histograms, convergence) into DIR", HelpName = "DIR" };

        var command = new Command("eval", "Measure detection and false-alarm rates of every detector on labelled logs")
        {
            train, normal, attack, adfa, protocol, format, abi, mapping, json, markdown, plots,
        };
        command.SetAction(result =>
        {
            EvalInputs inputs;
            string? adfaDir = result.GetValue(adfa);
            LogFormat logFormat = CommonOptions.ParseFormat(result.GetValue(format) ?? "auto");
            string? abiName = result.GetValue(abi);
            if (adfaDir is not null)
            {
                if (!Directory.Exists(adfaDir))
                {
                    throw new SysprintException(ErrorKind.InputMissing, $"{adfaDir}: no such directory");
                }

                // Full paths: the runtime would look up the working directory again for each of its 5,951 files.
                inputs = EvalInputs.Adfa(Path.GetFullPath(adfaDir), result.GetValue(protocol)!);
                logFormat = logFormat == LogFormat.Auto ? LogFormat.Adfa : logFormat;
                abiName ??= "i386";
            }
            else
            {
                string[] t = result.GetValue(train) ?? [];
                string[] n = result.GetValue(normal) ?? [];
                string[] a = result.GetValue(attack) ?? [];
                if (t.Length == 0 || n.Length == 0 || a.Length == 0)
                {
                    throw new SysprintException(ErrorKind.Usage, "eval needs --train, --normal and --attack paths (or --adfa DIR)");
                }

                inputs = EvalInputs.FromPaths(t, n, a);
            }

            foreach (string note in inputs.Notes)
            {
                context.Note(Printable.Escape(note));
            }

            if (result.GetValue(plots) is not null)
            {
                // Before the evaluation runs, not after: the native package leaves the plotting library out.
                EvalPlots.EnsureAvailable();
            }

            SyscallTable table = result.GetValue(mapping) is { } file
                ? StoreLocator.LoadMappingFile(file)
                : SyscallTable.Builtin(abiName ?? "x86_64");
            var options = new LogReadOptions { Format = logFormat, LearnNames = true };
            var progress = new Progress<string>(message =>
            {
                if (context.Interactive)
                {
                    context.Note(message);
                }
            });
            EvalResult evaluation = Evaluator.Run(inputs, table, options, progress: progress);

            if (result.GetValue(json))
            {
                context.Out.WriteLine(EvalReport.ToJson(evaluation));
            }
            else
            {
                EvalReport.WriteTable(context.Out, evaluation);
            }

            string? plotDir = result.GetValue(plots);
            if (plotDir is not null)
            {
                foreach (string png in EvalPlots.Write(evaluation, plotDir))
                {
                    context.Note($"wrote {png}");
                }
            }

            if (result.GetValue(markdown) is { } md)
            {
                string? relative = plotDir is null ? null : Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(md))!, Path.GetFullPath(plotDir));
                File.WriteAllText(md, EvalReport.ToMarkdown(evaluation, relative));
                context.Note($"wrote {md}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}

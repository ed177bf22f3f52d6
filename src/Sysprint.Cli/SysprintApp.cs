using System.CommandLine;
using Sysprint.Cli.Commands;
using Sysprint.Diagnostics;

namespace Sysprint.Cli;

/// <summary>The <c>sysprint</c> command line: builds the commands, runs one, maps failures to exit codes.</summary>
public static class SysprintApp
{
    public static int Run(string[] args, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            RootCommand root = Build(context);
            ParseResult parsed = root.Parse(args);
            string? optionAsArgument = parsed.Errors.Count == 0 ? UsageChecks.OptionTakenAsArgument(parsed) : null;
            if (parsed.Errors.Count > 0 || optionAsArgument is not null)
            {
                bool unknown = parsed.Errors.Any(e => UsageChecks.WithSuggestion(e.Message, parsed) != e.Message || e.Message.StartsWith("Unrecognized", StringComparison.Ordinal));
                foreach (var error in parsed.Errors)
                {
                    if (unknown && UsageChecks.IsMissingCommand(error.Message))
                    {
                        continue;
                    }

                    context.Fail(Friendly(UsageChecks.WithSuggestion(error.Message, parsed)));
                }

                if (optionAsArgument is not null)
                {
                    context.Fail(optionAsArgument);
                }

                string command = parsed.CommandResult.Command == root ? "" : " " + parsed.CommandResult.Command.Name;
                context.Error.WriteLine($"Try 'sysprint{command} --help'.");
                return ExitCodes.Usage;
            }

            return parsed.Invoke(new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                Output = context.Out,
                Error = context.Error,
            });
        }
        catch (SysprintException e)
        {
            context.Fail(Printable.Escape(ErrorText.Of(e)));
            return ExitCodes.Of(e);
        }
        catch (OperationCanceledException)
        {
            context.Fail("interrupted");
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            context.Fail($"internal error: {e.GetType().Name}: {e.Message} (this is a bug in sysprint; set SYSPRINT_DEBUG=1 for the stack trace)");
            if (context.Environment("SYSPRINT_DEBUG") == "1")
            {
                context.Error.WriteLine(e.ToString());
            }

            return ExitCodes.Internal;
        }
        finally
        {
            context.Out.Flush();
            context.Error.Flush();
        }
    }

    /// <summary>System.CommandLine names .NET types in its messages; say what the user should type instead.</summary>
    private static string Friendly(string message)
    {
        var match = System.Text.RegularExpressions.Regex.Match(message,
            @"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']+)' as expected type '(?<type>[^']+)'\.$");
        if (!match.Success)
        {
            return message;
        }

        string type = match.Groups["type"].Value;
        string expected = type.Contains("Int32", StringComparison.Ordinal) || type.Contains("Int64", StringComparison.Ordinal)
            ? "a whole number"
            : type.Contains("Double", StringComparison.Ordinal) ? "a number" : "a value of another form";
        return $"{match.Groups["option"].Value}: expected {expected}, found '{match.Groups["value"].Value}'";
    }

    internal static RootCommand Build(CliContext context)
    {
        var root = new RootCommand(
            "sysprint: learns the system-call fingerprint of well-known programs from strace/NtTrace logs " +
            "and flags executions whose fingerprint does not match (Gupta & Kumar).");
        root.Subcommands.Add(TrainCommand.Create(context));
        root.Subcommands.Add(CheckCommand.Create(context));
        root.Subcommands.Add(ShowCommand.Create(context));
        root.Subcommands.Add(StatsCommand.Create(context));
        root.Subcommands.Add(AlertsCommand.Create(context));
        root.Subcommands.Add(MappingCommand.Create(context));
        root.Subcommands.Add(ProfileCommand.Create(context));
        root.Subcommands.Add(SealCommand.Create(context));
        root.Subcommands.Add(ExportCommand.Create(context));
        root.Subcommands.Add(ImportCommand.Create(context));
        root.Subcommands.Add(RunCommand.Create(context));
        root.Subcommands.Add(AttachCommand.Create(context));
        root.Subcommands.Add(WatchCommand.Create(context));
        root.Subcommands.Add(AgentStatusCommand.Create(context));
        root.Subcommands.Add(ServeCommand.Create(context));
        root.Subcommands.Add(EnrollTokenCommand.Create(context));
        root.Subcommands.Add(HostsCommand.Create(context));
        root.Subcommands.Add(EvalCommand.Create(context));
        root.Subcommands.Add(DemoCommand.Create(context));
        return root;
    }
}

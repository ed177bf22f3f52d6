using System.CommandLine;
using System.Globalization;
using Sysprint.Agent.Outbox;
using Sysprint.Agent.Sinks;
using Sysprint.Diagnostics;
using Sysprint.Storage;

namespace Sysprint.Cli.Commands;

/// <summary>
/// The alert-sink options shared by <c>check</c>, <c>run</c>, <c>attach</c> and <c>watch</c>:
/// <c>--alerts-jsonl FILE</c>, <c>--syslog unix:PATH|udp:HOST:PORT|tcp:HOST:PORT</c>,
/// <c>--webhook URL</c>, <c>--alert-program CMD</c> (each may be repeated), <c>--quiet</c>.
/// </summary>
internal sealed class AlertSinkOptions
{
    private AlertSinkOptions(bool withQuiet)
    {
        Jsonl = new Option<string[]>("--alerts-jsonl")
        {
            Description = "Append each alert as one JSON line (Falco's shape) to FILE",
            HelpName = "FILE",
            AllowMultipleArgumentsPerToken = false,
        };
        Syslog = new Option<string[]>("--syslog")
        {
            Description = "Send each alert to syslog (RFC 5424): unix:/dev/log, udp:HOST:PORT or tcp:HOST:PORT",
            HelpName = "ADDRESS",
        };
        SyslogFacility = new Option<string>("--syslog-facility")
        {
            Description = "Syslog facility of the alerts",
            DefaultValueFactory = _ => "user",
            HelpName = "NAME",
        };
        SyslogFacility.AcceptOnlyFromAmong([.. SyslogSink.Facilities.Keys]);
        Webhook = new Option<string[]>("--webhook")
        {
            Description = "POST each alert as JSON to URL",
            HelpName = "URL",
        };
        Program = new Option<string[]>("--alert-program")
        {
            Description = "Feed each alert as one JSON line to the standard input of CMD (run by /bin/sh -c)",
            HelpName = "CMD",
        };
        if (withQuiet)
        {
            Quiet = new Option<bool>("--quiet", "-q") { Description = "Do not print alerts on stdout (the other sinks still get them)" };
        }
    }

    public Option<string[]> Jsonl { get; }

    public Option<string[]> Syslog { get; }

    public Option<string> SyslogFacility { get; }

    public Option<string[]> Webhook { get; }

    public Option<string[]> Program { get; }

    public Option<bool>? Quiet { get; }

    /// <summary>The options, with <c>--quiet</c> when the command prints alerts on stdout.</summary>
    public static AlertSinkOptions Create(bool withQuiet) => new(withQuiet);

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(Jsonl);
        command.Options.Add(Syslog);
        command.Options.Add(SyslogFacility);
        command.Options.Add(Webhook);
        command.Options.Add(Program);
        if (Quiet is not null)
        {
            command.Options.Add(Quiet);
        }
    }

    /// <summary>True when any durable sink was asked for.</summary>
    public bool AnySink(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Values(result, Jsonl).Length + Values(result, Syslog).Length + Values(result, Webhook).Length + Values(result, Program).Length > 0;
    }

    /// <summary>The sinks asked for on the command line, plus <paramref name="extra"/> (from a config file).</summary>
    public SinkSettings Settings(ParseResult result, SinkSettings? extra = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new SinkSettings
        {
            Jsonl = [.. extra?.Jsonl ?? [], .. Values(result, Jsonl)],
            Syslog = [.. extra?.Syslog ?? [], .. Values(result, Syslog)],
            SyslogFacility = result.GetResult(SyslogFacility) is { Implicit: false } || extra?.SyslogFacility is null
                ? result.GetValue(SyslogFacility) ?? "user"
                : extra.SyslogFacility,
            Webhook = [.. extra?.Webhook ?? [], .. Values(result, Webhook)],
            Program = [.. extra?.Program ?? [], .. Values(result, Program)],
        };
    }

    /// <summary>The sinks asked for on the command line.</summary>
    /// <exception cref="SysprintException">A sink's address does not parse (exit 64).</exception>
    public List<IAlertSink> Sinks(ParseResult result) => Settings(result).CreateSinks();

    /// <summary>True when alerts should be printed on stdout.</summary>
    public bool ShowOnStdout(ParseResult result) => Quiet is null || !result.GetValue(Quiet);

    /// <summary>Opens the outbox of the store at <paramref name="address"/> over its own connection.</summary>
    public static AlertOutbox OpenOutbox(StoreAddress address, CliContext context, IReadOnlyList<IAlertSink> sinks, TextWriter? console)
    {
        ArgumentNullException.ThrowIfNull(context);
        IAgentStore agentStore = StoreLocator.OpenAgent(address, context);
        var outbox = new AlertOutbox(agentStore, sinks, console);
        outbox.Start();
        return outbox;
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for the sinks to take every alert; says on stderr how
    /// many are left in the outbox for a later run.
    /// </summary>
    public static async Task FlushAsync(AlertOutbox outbox, CliContext context, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(outbox);
        ArgumentNullException.ThrowIfNull(context);
        long pending = await outbox.FlushAsync(timeout, CancellationToken.None).ConfigureAwait(false);
        if (pending > 0)
        {
            context.Note(string.Create(CultureInfo.InvariantCulture,
                $"warning: {pending} alert deliveries still pending after {timeout.TotalSeconds:0.#} s ({string.Join(", ", outbox.SinkNames)}); they stay in the store's outbox and go out with the next sysprint command using the same sinks, or 'sysprint watch'"));
        }
    }

    /// <summary>The host name put in alerts.</summary>
    public static string Hostname(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string? configured = context.Environment("SYSPRINT_HOSTNAME");
        return string.IsNullOrEmpty(configured) ? Environment.MachineName : configured;
    }

    private static string[] Values(ParseResult result, Option<string[]> option) => result.GetValue(option) ?? [];
}

using Sysprint.Diagnostics;
using Sysprint.Parsing;

namespace Sysprint.Cli;

/// <summary>
/// The one place that words a domain error's <see cref="Remedy"/> with the CLI's flags and commands
/// (Core and App name none): every error the CLI prints goes through it.
/// </summary>
internal static class ErrorText
{
    /// <summary>The error's message followed by its remedy in the CLI's words.</summary>
    public static string Of(SysprintException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.Message + Word(error.Remedy);
    }

    /// <summary>A skipped line's location and detail followed by its remedy in the CLI's words.</summary>
    public static string Of(InputLocation location) => location.ToString() + Word(location.Remedy);

    /// <summary>The remedy as the CLI says it, ready to follow a message ("" for none).</summary>
    public static string Word(Remedy? remedy) => remedy switch
    {
        null => "",
        { Kind: RemedyKind.RaiseCallLimit } => $" (raise the limit with --max-calls, up to {LogReadOptions.MaxMaxCalls})",
        { Kind: RemedyKind.RaiseThreadLimit } => " (raise the limit with --max-threads)",
        { Kind: RemedyKind.RaiseLineLimit } => " (raise the limit with --max-line-bytes)",
        { Kind: RemedyKind.NameFormat } => " (use --format to say which)",
        { Kind: RemedyKind.LearnNamesOrMapping } => "; use --learn-names to learn new names or --mapping FILE to give them numbers",
        { Kind: RemedyKind.GiveThreshold } => ": give --threshold",
        { Kind: RemedyKind.SealProfile } => " with --trust (run 'sysprint seal --key KEYFILE' first)",
        { Kind: RemedyKind.SealAgain } => ". If the change is yours, seal it again with 'sysprint seal'",
        { Kind: RemedyKind.SealWindows } => " with --trust. Seal it again with 'sysprint seal'",
        { Kind: RemedyKind.NameProfile } => " (--profile auto needs one: name the profile with --profile NAME)",
        { Kind: RemedyKind.UseAnotherProfile } => " (use another --profile)",
        { Kind: RemedyKind.LearnProfile } r =>
            $"; learn it first with 'sysprint train --profile {r.Profile}'{(r.Runs ? $" or 'sysprint run --learn --profile {r.Profile} -- CMD'" : "")}",
        { Kind: RemedyKind.LearnNormal } r => $"; learn normal {(r.Runs ? "runs" : "logs")} first with 'sysprint train --profile {r.Profile}'",
        { Kind: RemedyKind.LearnAgainWithWindows } => "; learn its normal logs again into a new profile with 'sysprint train --profile NAME'",
        { Kind: RemedyKind.CloseLearningWindow } => " (--close)",
        { Kind: RemedyKind.AssignProfileToGroup } => " (assign it first: profile --groups)",
        { Kind: RemedyKind.ReplaceProfile } => "; add --replace to replace it with the exported one, or import into another store",
        { Kind: var kind } => throw new ArgumentOutOfRangeException(nameof(remedy), kind, "a remedy the CLI does not word"),
    };
}

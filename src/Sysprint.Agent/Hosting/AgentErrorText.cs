using Sysprint.Diagnostics;

namespace Sysprint.Agent.Hosting;

/// <summary>
/// Words a domain error's <see cref="Remedy"/> where the agent reports it while it runs (a log it
/// could not read, a profile it could not reload): with the agent config's keys where one is the
/// remedy. A remedy the agent has no setting for is left out rather than worded with a CLI flag the
/// running agent cannot take.
/// </summary>
internal static class AgentErrorText
{
    /// <summary>The error's message followed by its remedy in the agent's words.</summary>
    public static string Of(SysprintException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.Message + Word(error.Remedy);
    }

    /// <summary>The remedy as the agent says it, ready to follow a message ("" when the agent has nothing to offer).</summary>
    public static string Word(Remedy? remedy) => remedy?.Kind switch
    {
        RemedyKind.RaiseLineLimit => " (raise the limit with max_line_bytes in the agent's config)",
        RemedyKind.NameFormat => " (set format in the agent's config to say which)",
        RemedyKind.SealProfile => " with trust set in the agent's config (run 'sysprint seal --key KEYFILE' first)",
        RemedyKind.SealAgain => ". If the change is yours, seal it again with 'sysprint seal'",
        RemedyKind.SealWindows => " with trust set in the agent's config. Seal it again with 'sysprint seal'",
        _ => "",
    };
}

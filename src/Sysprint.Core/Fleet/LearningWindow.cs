namespace Sysprint.Fleet;

/// <summary>
/// A learning window (<c>sysprint profile --learn-from-fleet</c>): while it is open, the agents of
/// <see cref="Group"/> upload what each normal log they finish teaches <see cref="Profile"/>; the
/// server stages the uploads and learns them into the profile once, when the window closes.
/// </summary>
/// <param name="Closes">When it closes by itself.</param>
/// <param name="Closed">When an administrator closed it early, or null.</param>
/// <param name="Learnt">When its logs were learnt into the profile (then it is over), or null.</param>
/// <param name="Hosts">Distinct hosts that uploaded a log.</param>
/// <param name="Logs">Distinct logs (by content) staged.</param>
/// <param name="LearntLogs">Of those, the logs the profile did not hold yet, once learnt.</param>
/// <param name="NewTransitions">Transitions they added to the fingerprint, once learnt.</param>
public sealed record LearningWindow(
    long Id,
    string Group,
    string Profile,
    DateTimeOffset Opened,
    DateTimeOffset Closes,
    DateTimeOffset? Closed,
    DateTimeOffset? Learnt,
    int Hosts,
    int Logs,
    int? LearntLogs,
    int? NewTransitions)
{
    /// <summary>True while agents may upload: not learnt, not closed, and <paramref name="now"/> before <see cref="Closes"/>.</summary>
    public bool IsOpenAt(DateTimeOffset now) => Learnt is null && Closed is null && now < Closes;

    /// <summary><c>open</c>, <c>closing</c> (closed, its logs not learnt yet) or <c>learnt</c>.</summary>
    public string StateAt(DateTimeOffset now) => Learnt is not null ? "learnt" : IsOpenAt(now) ? "open" : "closing";
}

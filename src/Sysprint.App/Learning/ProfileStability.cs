namespace Sysprint.App.Learning;

/// <summary>How far a profile's fingerprint has settled, over every log it ever learnt.</summary>
/// <param name="Transitions">Transitions in its fingerprint.</param>
/// <param name="KnownCalls">Distinct system calls in its fingerprint.</param>
/// <param name="LogsLearnt">Logs it has learnt, in all.</param>
/// <param name="QuietRun">The latest logs in a row that added no transition.</param>
/// <param name="LastAdded">Transitions the latest log added (0 when none was learnt).</param>
public sealed record ProfileStability(string Profile, int Transitions, int KnownCalls, int LogsLearnt, int QuietRun, int LastAdded)
{
    /// <summary>The last <see cref="LearnService.StableAfter"/> logs or more added nothing.</summary>
    public bool Stable => QuietRun >= LearnService.StableAfter;
}

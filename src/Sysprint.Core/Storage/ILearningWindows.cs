using Sysprint.Fleet;

namespace Sysprint.Storage;

/// <summary>
/// The fleet's learning windows (<see cref="LearningWindow"/>) and the logs staged in them. Every
/// method is one statement or one transaction; shared by any number of server instances and CLI
/// processes. Opening, closing and learning a window count as changes to what agents receive (the
/// store's revision goes up), so the agents' profile feed tells them at once.
/// </summary>
public interface ILearningWindows
{
    /// <summary>Opens a window; null when the group already has one open (or closing) for that profile.</summary>
    Task<LearningWindow?> OpenAsync(string group, string profile, DateTimeOffset opened, DateTimeOffset closes, CancellationToken cancellationToken);

    /// <summary>Every window with its counts, newest first.</summary>
    Task<IReadOnlyList<LearningWindow>> ListAsync(CancellationToken cancellationToken);

    /// <summary>The window, or null.</summary>
    Task<LearningWindow?> FindAsync(long id, CancellationToken cancellationToken);

    /// <summary>Closes an open window now; false when there is no such window or it was closed already.</summary>
    Task<bool> CloseAsync(long id, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: stages the host's upload in the window when it is open at
    /// <paramref name="now"/>, the host has staged fewer than <paramref name="maxPerHost"/> logs
    /// there, and no host staged the same log (by SHA-256) before.
    /// </summary>
    Task<StageOutcome> StageAsync(long windowId, long hostId, LearningUpload upload, DateTimeOffset now, int maxPerHost, CancellationToken cancellationToken);

    /// <summary>
    /// Claims a window that closed (by time or by hand) and is not learnt yet, for this caller to
    /// learn: one claimant at a time; a claim older than <paramref name="staleAfter"/> (its
    /// claimant died) may be taken over. Null when none is due.
    /// </summary>
    Task<LearningWindow?> ClaimDueAsync(DateTimeOffset now, TimeSpan staleAfter, CancellationToken cancellationToken);

    /// <summary>The logs staged in the window, in the order they arrived.</summary>
    Task<IReadOnlyList<StagedLog>> StagedAsync(long windowId, CancellationToken cancellationToken);

    /// <summary>Records that the window's logs were learnt; false when another claimant recorded it first.</summary>
    Task<bool> MarkLearntAsync(long windowId, int learntLogs, int newTransitions, DateTimeOffset now, CancellationToken cancellationToken);
}

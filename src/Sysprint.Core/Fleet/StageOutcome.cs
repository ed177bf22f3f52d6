namespace Sysprint.Fleet;

/// <summary>What became of a log uploaded to a learning window.</summary>
public enum StageOutcome
{
    /// <summary>Staged: it is learnt when the window closes.</summary>
    Staged,

    /// <summary>The window holds this log already (uploaded again, or by another host): it counts once.</summary>
    AlreadyStaged,

    /// <summary>No such window, or it is closed.</summary>
    Closed,

    /// <summary>The host uploaded as many logs to the window as it may.</summary>
    TooMany,
}

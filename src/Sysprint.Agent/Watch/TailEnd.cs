namespace Sysprint.Agent.Watch;

/// <summary>Why a <see cref="TailStream"/> reported the end of its file.</summary>
public enum TailEnd
{
    /// <summary>Still being read.</summary>
    None,

    /// <summary>The file did not grow for the idle timeout: its writer is done (it is read again if it grows later).</summary>
    Idle,

    /// <summary>The path now names another file, or none (renamed or deleted by rotation), and the old one stopped growing.</summary>
    Rotated,

    /// <summary>The file became shorter than what was read: truncated in place (copytruncate).</summary>
    Truncated,
}

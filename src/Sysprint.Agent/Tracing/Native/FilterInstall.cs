namespace Sysprint.Agent.Tracing.Native;

/// <summary>
/// The steps of installing the seccomp filter in the traced command (see <see cref="NativeTracer"/>):
/// its first call after the exec is borrowed to make <c>seccomp(2)</c> (and, when that is refused
/// without the capability, <c>prctl(PR_SET_NO_NEW_PRIVS)</c> first), then made itself.
/// </summary>
internal enum FilterInstall
{
    /// <summary>Nothing to install, or done (or failed: the thread stops at entry and exit).</summary>
    None,

    /// <summary>To install at the thread's next call entry.</summary>
    Pending,

    /// <summary>The thread is making the borrowed <c>seccomp(SECCOMP_SET_MODE_FILTER)</c>.</summary>
    Seccomp,

    /// <summary>The thread is making the borrowed <c>prctl(PR_SET_NO_NEW_PRIVS, 1)</c>.</summary>
    NoNewPrivs,
}

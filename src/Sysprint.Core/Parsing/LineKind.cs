namespace Sysprint.Parsing;

/// <summary>What one log line holds.</summary>
internal enum LineKind : byte
{
    /// <summary>A system call entry: counts once.</summary>
    Syscall,

    /// <summary>Blank line.</summary>
    Empty,

    /// <summary>strace <c>&lt;... name resumed&gt;</c>: the call was counted at its entry.</summary>
    Resumed,

    /// <summary>strace <c>--- SIGCHLD ... ---</c>.</summary>
    Signal,

    /// <summary>The thread ended (<c>+++ exited with 0 +++</c>, NtTrace <c>Thread N exit code</c>).</summary>
    ThreadExit,

    /// <summary>strace <c>-k</c> stack frame.</summary>
    Stack,

    /// <summary>strace's own message (<c>strace: Process 1234 attached</c>).</summary>
    TracerMessage,

    /// <summary>strace <c>[ Process PID=1234 runs in 32 bit mode. ]</c>.</summary>
    Personality,

    /// <summary>NtTrace <c>-pre</c> entry line; the call counts at its return line.</summary>
    PreEntry,

    /// <summary>Any other non-call line the format allows (NtTrace process and DLL notes, console output).</summary>
    Info,

    /// <summary>The rest of a call line that was cut by other output (strace to stderr).</summary>
    Continuation,

    /// <summary>Text of the traced program mixed into the trace (strace to stderr): not a call.</summary>
    Foreign,

    /// <summary>The line does not fit the format.</summary>
    Malformed,
}

namespace Sysprint.Agent.Tracing;

/// <summary>A live trace: a command to start under strace, or a running process to attach to.</summary>
public sealed record TraceOptions
{
    /// <summary>The command and its arguments, passed to strace as is (never through a shell); empty when attaching.</summary>
    public IReadOnlyList<string> Command { get; init; } = [];

    /// <summary>The process to attach to (<c>strace -p</c>), when no command is given.</summary>
    public int? AttachPid { get; init; }

    /// <summary>Environment entries for the traced command only (strace's <c>-E</c>).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public AnomalyAction OnAnomaly { get; init; } = AnomalyAction.Alert;

    /// <summary>The traced command's standard streams: inherited (the CLI) or discarded (tests, services).</summary>
    public bool InheritStdio { get; init; } = true;

    /// <summary>
    /// Where the trace is kept (strace's <c>-f -ttt</c> shape with the native tracer). With strace, a named
    /// pipe in a private temporary directory when null; the native tracer then writes none.
    /// </summary>
    public string? TraceFile { get; init; }

    /// <summary>Who traces: ptrace from this process (the default where it runs), or strace.</summary>
    public TracerKind Tracer { get; init; } = TracerKind.Native;

    /// <summary>The errno a denied call returns (<see cref="AnomalyAction.Deny"/>): EPERM unless told.</summary>
    public int DenyErrno { get; init; } = 1;

    /// <summary>
    /// If the tracer goes away (killed, crashed, or stopped by SIGTERM), the traced processes are
    /// detached and go on (true), or die with it (false: PTRACE_O_EXITKILL). Native tracer only.
    /// </summary>
    public bool FailOpen { get; init; } = true;

    /// <summary>
    /// Native tracer, a started command failing closed: one stop per call (a seccomp filter makes each
    /// call stop at its entry, and the tracer no longer asks for its exit), so the log's return values
    /// are <c>?</c> but for denied calls. False: two stops per call, return values logged. Failing open
    /// or attaching always stops twice (the filter would outlive the tracer).
    /// </summary>
    public bool OneStopPerCall { get; init; } = true;

    /// <summary>The most alerts raised for one run.</summary>
    public int MaxAlerts { get; init; } = 100;
}

namespace Sysprint.Agent.Tracing;

/// <summary>What to do to the traced processes when their run turns anomalous.</summary>
public enum AnomalyAction
{
    /// <summary>Alert only; the run goes on.</summary>
    Alert,

    /// <summary>Alert, and the offending call does not run: it returns an errno (EPERM unless told) and the program goes on. Native tracer only.</summary>
    Deny,

    /// <summary>Alert and stop (SIGSTOP) the traced process tree, for the administrator to inspect (<c>kill -CONT</c> or <c>kill -KILL</c>).</summary>
    Stop,

    /// <summary>Alert and kill (SIGKILL) the traced process tree.</summary>
    Kill,
}

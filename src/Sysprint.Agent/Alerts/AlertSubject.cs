namespace Sysprint.Agent.Alerts;

/// <summary>
/// What a live check is looking at: the log (and the VM it came from), the program and the profile.
/// <paramref name="LogKey"/> names the log's content in alert ids (stable across restarts: a
/// watched file's stored key, a run's own id).
/// </summary>
public sealed record AlertSubject(string? Vm, string LogName, string LogKey, string? Program, string Profile, string Detector)
{
    /// <summary>The traced executable's path (<c>run</c>, <c>attach</c>), as alerts name it in <c>proc.exepath</c>.</summary>
    public string? BinaryPath { get; init; }

    /// <summary>The traced executable's SHA-256, lowercase hex (<c>proc.exe.sha256</c>).</summary>
    public string? BinarySha256 { get; init; }

    /// <summary>
    /// <c>run</c> or <c>attach</c> when one of them traced the program (<c>sysprint.source</c>);
    /// null for <c>watch</c>, whose alerts keep their shape.
    /// </summary>
    public string? Source { get; init; }
}

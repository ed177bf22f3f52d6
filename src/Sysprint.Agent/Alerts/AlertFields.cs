namespace Sysprint.Agent.Alerts;

/// <summary>The <c>output_fields</c> keys of sysprint's alerts (Falco's dotted style).</summary>
public static class AlertFields
{
    public const string LogName = "log.name";
    public const string LogLine = "log.line";
    public const string VmName = "vm.name";
    public const string ProcPid = "proc.pid";
    public const string Program = "program";
    public const string Prev = "mismatch.prev";
    public const string Next = "mismatch.next";
    public const string Count = "mismatch.count";
    public const string Window = "mismatch.window";
    public const string Profile = "profile";
    public const string Detector = "detector";
    public const string Reason = "reason";
    public const string ExePath = "proc.exepath";
    public const string ExeSha256 = "proc.exe.sha256";

    /// <summary>What traced the program when not <c>watch</c>: run or attach (the fleet's history keeps it as the alert's source).</summary>
    public const string Source = "sysprint.source";
}

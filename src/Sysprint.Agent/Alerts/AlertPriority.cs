namespace Sysprint.Agent.Alerts;

/// <summary>Falco's priorities, most severe first; the value is the syslog severity (RFC 5424).</summary>
public enum AlertPriority
{
    Emergency = 0,
    Alert = 1,
    Critical = 2,
    Error = 3,
    Warning = 4,
    Notice = 5,
    Informational = 6,
    Debug = 7,
}

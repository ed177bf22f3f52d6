namespace Sysprint.Agent.Fleet;

/// <summary>The server answered, and said no (401, 403, 409, 4xx): retrying the same request will not help.</summary>
public sealed class FleetRefusedException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

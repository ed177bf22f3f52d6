namespace Sysprint.Fleet;

/// <summary>What the server makes of a host's heartbeats (<c>sysprint hosts</c>).</summary>
public enum HostState
{
    /// <summary>Its last heartbeat came on time and reported no failing sink.</summary>
    Ok,

    /// <summary>One or two heartbeats missed, or its last heartbeat reported alerts stuck behind a failing sink.</summary>
    Lagging,

    /// <summary>More than two heartbeats missed (or none at all, that long after enrolling).</summary>
    Silent,

    /// <summary>Revoked by an administrator: every request of the host is refused.</summary>
    Revoked,
}

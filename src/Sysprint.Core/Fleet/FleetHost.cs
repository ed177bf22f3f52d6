namespace Sysprint.Fleet;

/// <summary>An enrolled host as the server knows it.</summary>
/// <param name="HeartbeatInterval">How often the host was told to send a heartbeat.</param>
/// <param name="LastSeen">Its last heartbeat, or null when none came since it enrolled.</param>
/// <param name="Heartbeat">What its last heartbeat said, or null.</param>
public sealed record FleetHost(
    long Id,
    string Name,
    string Group,
    DateTimeOffset Enrolled,
    DateTimeOffset? Revoked,
    DateTimeOffset? LastSeen,
    TimeSpan HeartbeatInterval,
    FleetHeartbeat? Heartbeat)
{
    /// <summary>
    /// Heartbeats missed at <paramref name="now"/>: the next one is due one interval after the last
    /// request, and half an interval of grace absorbs jitter and a slow network.
    /// </summary>
    public long MissedHeartbeats(DateTimeOffset now)
    {
        TimeSpan age = now - (LastSeen ?? Enrolled);
        TimeSpan late = age - (HeartbeatInterval / 2);
        return late <= TimeSpan.Zero ? 0 : (long)Math.Floor(late / HeartbeatInterval);
    }

    /// <summary>
    /// Revoked; else silent after more than two missed heartbeats; else lagging after one or two,
    /// or when the last heartbeat reported pending alerts with a delivery error; else ok.
    /// </summary>
    public HostState StateAt(DateTimeOffset now)
    {
        if (Revoked is not null)
        {
            return HostState.Revoked;
        }

        long missed = MissedHeartbeats(now);
        if (missed > 2)
        {
            return HostState.Silent;
        }

        bool stuck = Heartbeat is { LastError: not null } beat && beat.Pending.Values.Any(n => n > 0);
        return missed > 0 || stuck ? HostState.Lagging : HostState.Ok;
    }
}

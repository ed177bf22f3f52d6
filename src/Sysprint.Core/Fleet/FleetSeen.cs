namespace Sysprint.Fleet;

/// <summary>The fleet view of one transition under one profile: how many hosts alerted on it in a period, of how many enrolled (not revoked).</summary>
public readonly record struct FleetSeen(long Hosts, long Of);

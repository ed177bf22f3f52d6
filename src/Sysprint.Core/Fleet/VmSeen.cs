namespace Sysprint.Fleet;

/// <summary>A VM of a host as its alerts show it: how many alerts it raised and the newest one's time.</summary>
public sealed record VmSeen(string Vm, long Alerts, DateTimeOffset Last);

namespace Sysprint.Fleet;

/// <summary>How many alerts one key (a host, a profile, an hour) has.</summary>
public readonly record struct AlertCount(string Key, long Count);

namespace Sysprint.Fleet;

/// <summary>An enrollment secret as stored (its hash only): the group it enrolls into and how long it is valid.</summary>
public sealed record EnrollSecret(
    long Id,
    string Group,
    DateTimeOffset Created,
    DateTimeOffset? Expires,
    DateTimeOffset? Revoked);

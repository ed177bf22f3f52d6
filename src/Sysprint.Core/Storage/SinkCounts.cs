namespace Sysprint.Storage;

/// <summary>One sink's deliveries, for <c>agent-status</c>; <see cref="OldestPending"/> is the time of the oldest alert it has not taken yet.</summary>
public sealed record SinkCounts(
    string Sink,
    long Delivered,
    long Pending,
    long FailedAttempts,
    DateTimeOffset? LastDelivered,
    string? LastError,
    DateTimeOffset? LastErrorTime,
    DateTimeOffset? OldestPending = null);

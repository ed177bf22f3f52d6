namespace Sysprint.Storage;

/// <summary>One sink's deliveries, for <c>agent-status</c>.</summary>
public sealed record SinkCounts(
    string Sink,
    long Delivered,
    long Pending,
    long FailedAttempts,
    DateTimeOffset? LastDelivered,
    string? LastError,
    DateTimeOffset? LastErrorTime);

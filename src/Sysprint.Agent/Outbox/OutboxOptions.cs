namespace Sysprint.Agent.Outbox;

/// <summary>How the outbox retries: exponential backoff from <see cref="InitialBackoff"/> up to <see cref="MaxBackoff"/>.</summary>
public sealed record OutboxOptions
{
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one delivery may take before it counts as failed.</summary>
    public TimeSpan DeliveryTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often an idle sink looks in the store again: another process on the same store (a
    /// <c>run</c> or <c>attach</c> whose sink could not deliver) may have left alerts for it.
    /// </summary>
    public TimeSpan IdlePoll { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The wait after the <paramref name="failures"/>-th failure in a row (1-based).</summary>
    public TimeSpan Backoff(int failures)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failures, 1);
        double ms = InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30));
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxBackoff.TotalMilliseconds));
    }
}

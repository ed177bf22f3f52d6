using Sysprint.Storage;

namespace Sysprint.Agent.Sinks;

/// <summary>
/// A sink that takes several alerts in one delivery (the fleet server: one request per batch, not
/// one per alert). The outbox hands it its pending alerts, oldest first; it takes a prefix of them,
/// the whole prefix or nothing (it throws then), and returns how many it took.
/// </summary>
public interface IBatchAlertSink : IAlertSink
{
    /// <returns>How many of <paramref name="alerts"/>, from the first, the sink took (at least 1).</returns>
    Task<int> DeliverBatchAsync(IReadOnlyList<OutboxAlert> alerts, CancellationToken cancellationToken);
}

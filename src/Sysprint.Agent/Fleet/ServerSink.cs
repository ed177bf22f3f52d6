using Sysprint.Agent.Sinks;
using Sysprint.Storage;

namespace Sysprint.Agent.Fleet;

/// <summary>
/// Delivers alerts to the fleet server (<c>POST /api/agent/alerts</c>) with the host's credential.
/// The outbox delivers at least once; the server stores each (host, uuid) once, so centrally every
/// alert is stored exactly once. While the host is not enrolled, or the server is away or refuses,
/// the delivery fails and the alert waits in the outbox. Pending alerts go in batches, one request
/// each (an agent catching up after an outage sends 64 alerts per request, not one).
/// </summary>
public sealed class ServerSink(FleetConnection connection) : IBatchAlertSink
{
    /// <summary>At most this much alert JSON per request: well under the server's 1 MiB body limit.</summary>
    private const int MaxBatchBytes = 512 * 1024;

    public string Name { get; } = "server:" + connection.Client.Server;

    public async Task<int> DeliverBatchAsync(IReadOnlyList<OutboxAlert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        int count = 0;
        long bytes = 0;
        while (count < alerts.Count && (count == 0 || bytes + alerts[count].Json.Length <= MaxBatchBytes))
        {
            bytes += alerts[count].Json.Length + 1;
            count++;
        }

        FleetCredential credential = await connection.EnsureEnrolledAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<OutboxAlert> batch = count == alerts.Count ? alerts : [.. alerts.Take(count)];
        await connection.Client.SendAlertsAsync(credential.Credential, batch, cancellationToken).ConfigureAwait(false);
        return count;
    }

    public async Task DeliverAsync(OutboxAlert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        FleetCredential credential = await connection.EnsureEnrolledAsync(cancellationToken).ConfigureAwait(false);
        await connection.Client.SendAlertsAsync(credential.Credential, [alert], cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

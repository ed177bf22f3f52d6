using Sysprint.Agent.Sinks;
using Sysprint.Storage;

namespace Sysprint.Agent.Fleet;

/// <summary>
/// Delivers alerts to the fleet server (<c>POST /api/agent/alerts</c>) with the host's credential.
/// The outbox delivers at least once; the server stores each (host, uuid) once, so centrally every
/// alert is stored exactly once. While the host is not enrolled, or the server is away or refuses,
/// the delivery fails and the alert waits in the outbox.
/// </summary>
public sealed class ServerSink(FleetConnection connection) : IAlertSink
{
    public string Name { get; } = "server:" + connection.Client.Server;

    public async Task DeliverAsync(OutboxAlert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        FleetCredential credential = await connection.EnsureEnrolledAsync(cancellationToken).ConfigureAwait(false);
        await connection.Client.SendAlertsAsync(credential.Credential, [alert], cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

using Sysprint.Storage;

namespace Sysprint.Agent.Sinks;

/// <summary>
/// Where alerts go. The outbox calls <see cref="DeliverAsync"/> for one alert at a time, in order,
/// from one task per sink; it returns once the sink has taken the alert and throws when it has not
/// (the outbox then retries later, with backoff). A sink that takes several at once is an
/// <see cref="IBatchAlertSink"/>.
/// </summary>
public interface IAlertSink : IAsyncDisposable
{
    /// <summary>Stable name stored with each delivery (<c>webhook:URL</c>): the same sink after a restart has the same name.</summary>
    string Name { get; }

    Task DeliverAsync(OutboxAlert alert, CancellationToken cancellationToken);
}

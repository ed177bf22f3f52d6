using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sysprint.Agent.Alerts;
using Sysprint.Agent.Sinks;
using Sysprint.Diagnostics;
using Sysprint.Storage;

namespace Sysprint.Agent.Outbox;

/// <summary>
/// The durable outbox: <see cref="Raise"/> stores an alert with one pending delivery per sink (in
/// one transaction, before any sink sees it), then wakes one delivery task per sink, which sends
/// the sink's pending alerts oldest first and marks each delivered once the sink took it. A sink
/// that fails is retried with exponential backoff; its alerts wait in the store meanwhile, across
/// restarts too. An alert whose id is already stored is dropped: raising the same anomaly twice
/// (a log read again after a restart) delivers it once. An idle sink looks in the store again every
/// <see cref="OutboxOptions.IdlePoll"/>: what another process on the store left pending for a sink
/// of the same name (a <c>run</c> while the fleet server was away) goes out without a restart.
/// </summary>
/// <remarks>
/// Thread-safe: readers of many logs may raise alerts at once. The store connection is used under
/// a lock. The console (stdout) is not a sink of the outbox: it shows the alerts this process
/// raised, at once, and nothing after a restart.
/// </remarks>
public sealed class AlertOutbox : IAsyncDisposable
{
    private readonly IAgentStore _store;
    private readonly Lock _storeLock = new();
    private readonly IReadOnlyList<IAlertSink> _sinks;
    private readonly string[] _sinkNames;
    private readonly TextWriter? _console;
    private readonly Lock _consoleLock = new();
    private readonly OutboxOptions _options;
    private readonly ILogger _logger;
    private readonly List<SinkLoop> _loops = [];
    private readonly CancellationTokenSource _stop = new();
    private long _raised;
    private long _raisedInternal;
    private long _duplicates;
    private (DateTimeOffset Time, string Error)? _lastInternal;

    /// <param name="store">Owned by the outbox from now on (disposed with it).</param>
    /// <param name="console">Where the human line of each new alert goes (stdout), or null (<c>--quiet</c>).</param>
    public AlertOutbox(IAgentStore store, IReadOnlyList<IAlertSink> sinks, TextWriter? console, OutboxOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(sinks);
        _store = store;
        _sinks = sinks;
        _sinkNames = [.. sinks.Select(s => s.Name)];
        if (_sinkNames.Distinct(StringComparer.Ordinal).Count() != _sinkNames.Length)
        {
            throw new ArgumentException("two sinks have the same name: " + string.Join(", ", _sinkNames), nameof(sinks));
        }

        _console = console;
        _options = options ?? new OutboxOptions();
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// When set, each alert raised also enters the store's alert history with this source (the
    /// agent: <c>watch</c>); null when the command records its own verdict there (check, run, attach).
    /// </summary>
    public string? HistorySource { get; init; }

    /// <summary>Alerts raised for the first time by this process.</summary>
    public long Raised => Interlocked.Read(ref _raised);

    /// <summary>Of <see cref="Raised"/>, the alerts about Sysprint's own trouble (<c>source: internal</c>).</summary>
    public long RaisedInternal => Interlocked.Read(ref _raisedInternal);

    /// <summary>The newest internal alert this outbox raised (its time and text), or null.</summary>
    public (DateTimeOffset Time, string Error)? LastInternal
    {
        get
        {
            lock (_consoleLock)
            {
                return _lastInternal;
            }
        }
    }

    /// <summary>Alerts dropped because the store already held their id.</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>The durable sinks' names.</summary>
    public IReadOnlyList<string> SinkNames => _sinkNames;

    /// <summary>Starts one delivery task per sink; each first sends what earlier runs left pending.</summary>
    public void Start()
    {
        if (_loops.Count > 0)
        {
            return;
        }

        foreach (IAlertSink sink in _sinks)
        {
            var loop = new SinkLoop(this, sink);
            _loops.Add(loop);
            loop.Task = Task.Run(() => loop.RunAsync(_stop.Token));
        }
    }

    /// <summary>
    /// Stores the alert and wakes the sinks. Returns false when the alert was raised before (same
    /// id): nothing is sent again.
    /// </summary>
    public bool Raise(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        bool added;
        lock (_storeLock)
        {
            added = _store.AddAlert(alert.ToOutbox(HistorySource), _sinkNames);
        }

        if (!added)
        {
            Interlocked.Increment(ref _duplicates);
            return false;
        }

        Interlocked.Increment(ref _raised);
        if (alert.Source == "internal")
        {
            Interlocked.Increment(ref _raisedInternal);
            lock (_consoleLock)
            {
                _lastInternal = (alert.Time, alert.Output);
            }
        }

        if (_console is not null)
        {
            lock (_consoleLock)
            {
                _console.WriteLine(alert.ToText());
                _console.Flush();
            }
        }

        foreach (SinkLoop loop in _loops)
        {
            loop.Wake();
        }

        return true;
    }

    /// <summary>Each of this outbox's sinks' deliveries (delivered, pending, last error), from the store.</summary>
    public IReadOnlyList<SinkCounts> SinkCounts()
    {
        lock (_storeLock)
        {
            return [.. _store.CountDeliveries().Where(c => _sinkNames.Contains(c.Sink))];
        }
    }

    /// <summary>How many deliveries are pending for this outbox's sinks.</summary>
    public long Pending()
    {
        lock (_storeLock)
        {
            long pending = 0;
            foreach (SinkCounts counts in _store.CountDeliveries())
            {
                if (_sinkNames.Contains(counts.Sink))
                {
                    pending += counts.Pending;
                }
            }

            return pending;
        }
    }

    /// <summary>
    /// Waits until every sink has taken every pending alert, or <paramref name="timeout"/> passed.
    /// Returns the deliveries still pending (0 when all went out).
    /// </summary>
    public async Task<long> FlushAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            long pending = Pending();
            if (pending == 0 || DateTime.UtcNow >= deadline || _loops.Count == 0)
            {
                return pending;
            }

            foreach (SinkLoop loop in _loops)
            {
                loop.Wake();
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the delivery tasks (what is pending stays in the store) and disposes the sinks and the store.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (SinkLoop loop in _loops)
        {
            if (loop.Task is not null)
            {
                try
                {
                    await loop.Task.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Stopping.
                }
            }
        }

        foreach (IAlertSink sink in _sinks)
        {
            await sink.DisposeAsync().ConfigureAwait(false);
        }

        lock (_storeLock)
        {
            _store.Dispose();
        }

        _stop.Dispose();
    }

    /// <summary>
    /// Records a delivery's outcome. When the store refuses (locked too long), the delivery stays
    /// pending and goes out again: at least once.
    /// </summary>
    private void Record(Action<IAgentStore> write)
    {
        try
        {
            lock (_storeLock)
            {
                write(_store);
            }
        }
        catch (SysprintException e)
        {
            _logger.LogWarning("cannot record a delivery in the outbox: {Error}", e.Message);
        }
    }

    /// <summary>One sink's delivery task.</summary>
    private sealed class SinkLoop(AlertOutbox outbox, IAlertSink sink)
    {
        private const int Batch = 64;

        private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

        /// <summary>Failed attempts in a row (the backoff's exponent).</summary>
        private int _failures;

        public Task? Task { get; set; }

        public void Wake() => _wake.Writer.TryWrite(true);

        /// <summary>Until this process raises an alert, or <paramref name="idle"/> passed (another process may have).</summary>
        private async Task WaitAsync(TimeSpan idle, CancellationToken stop)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop);
            wait.CancelAfter(idle);
            try
            {
                await _wake.Reader.ReadAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                // Idle long enough: look in the store again.
            }
        }

        public async Task RunAsync(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                IReadOnlyList<OutboxAlert> pending;
                try
                {
                    lock (outbox._storeLock)
                    {
                        pending = outbox._store.PendingAlerts(sink.Name, Batch);
                    }
                }
                catch (SysprintException e)
                {
                    // The store is locked or unreachable for now; the alerts wait in it.
                    outbox._logger.LogWarning("cannot read the outbox for {Sink}: {Error}", sink.Name, e.Message);
                    await System.Threading.Tasks.Task.Delay(outbox._options.MaxBackoff / 10, stop).ConfigureAwait(false);
                    continue;
                }

                if (pending.Count == 0)
                {
                    await WaitAsync(outbox._options.IdlePoll, stop).ConfigureAwait(false);
                    continue;
                }

                if (sink is IBatchAlertSink batch)
                {
                    for (int next = 0; next < pending.Count;)
                    {
                        IReadOnlyList<OutboxAlert> rest = next == 0 ? pending : [.. pending.Skip(next)];
                        int taken = await AttemptAsync(rest, token => batch.DeliverBatchAsync(rest, token), stop).ConfigureAwait(false);
                        if (taken <= 0)
                        {
                            break;
                        }

                        next += taken;
                    }
                }
                else
                {
                    foreach (OutboxAlert alert in pending)
                    {
                        if (await AttemptAsync([alert], async token =>
                            {
                                await sink.DeliverAsync(alert, token).ConfigureAwait(false);
                                return 1;
                            }, stop).ConfigureAwait(false) <= 0)
                        {
                            break;
                        }
                    }
                }

                if (stop.IsCancellationRequested)
                {
                    return;
                }
            }
        }

        /// <summary>
        /// One delivery of <paramref name="alerts"/> (or of the prefix the sink takes) within the
        /// delivery timeout: marks what was taken delivered and returns how many; on a failure marks
        /// the first alert failed, waits the backoff and returns 0; returns -1 when the agent stops.
        /// </summary>
        private async Task<int> AttemptAsync(IReadOnlyList<OutboxAlert> alerts, Func<CancellationToken, Task<int>> deliver, CancellationToken stop)
        {
            int taken;
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stop);
                attempt.CancelAfter(outbox._options.DeliveryTimeout);
                taken = Math.Clamp(await deliver(attempt.Token).ConfigureAwait(false), 1, alerts.Count);
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                // Any failure of a sink (refused, timed out, broken pipe, bad answer) is
                // retried; it must never stop the delivery of the other sinks.
                _failures++;
                TimeSpan delay = outbox._options.Backoff(_failures);
                string error = e is OperationCanceledException ? $"no answer within {outbox._options.DeliveryTimeout.TotalSeconds:0.#} s" : e.Message;
                OutboxAlert first = alerts[0];
                outbox.Record(store => store.MarkFailed(first.Id, sink.Name, error, DateTimeOffset.UtcNow));

                long delayMs = (long)delay.TotalMilliseconds;
                string name = sink.Name;
                string what = alerts.Count == 1 ? "alert " + first.Id : $"{alerts.Count} alerts from {first.Id}";
                outbox._logger.LogWarning("{Alerts} not delivered to {Sink} (attempt {Failures}): {Error}; retrying in {Delay} ms",
                    what, name, _failures, error, delayMs);
                try
                {
                    await System.Threading.Tasks.Task.Delay(delay, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return -1;
                }

                return 0;
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                // The agent is stopping: however this attempt ended (cancelled, or the sink
                // failed at that moment, as a program exiting 3), the alerts stay pending
                // for the next start, and the stop must not fail because of it.
                return -1;
            }

            if (_failures > 0 && outbox._logger.IsEnabled(LogLevel.Information))
            {
                string name = sink.Name;
                outbox._logger.LogInformation("{Sink} takes alerts again after {Failures} failed attempts", name, _failures);
            }

            _failures = 0;
            DateTimeOffset now = DateTimeOffset.UtcNow;
            outbox.Record(store =>
            {
                for (int i = 0; i < taken; i++)
                {
                    store.MarkDelivered(alerts[i].Id, sink.Name, now);
                }
            });
            return taken;
        }
    }
}

using System.Net;
using Microsoft.Extensions.Logging;
using Prometheus;
using Sysprint.Agent.Hosting;
using Sysprint.Agent.Watch;
using Sysprint.Diagnostics;
using Sysprint.Storage;

namespace Sysprint.Agent.Metrics;

/// <summary>
/// The agent's Prometheus metrics (<c>watch --metrics 127.0.0.1:9464</c>, or <c>metrics</c> in the
/// config): prometheus-net's stand-alone <see cref="MetricServer"/> (HttpListener, no ASP.NET;
/// no reflection, so it runs in the native binary) serves <c>http://HOST:PORT/metrics</c> from a
/// registry of its own (no default process metrics). Each value is read from the running session
/// when scraped; the counters go on across reloads (SIGHUP), each session's totals carried over.
/// </summary>
internal sealed class AgentMetrics : IDisposable
{
    private readonly Func<AgentSession> _session;
    private readonly MetricServer _server;
    private readonly Counter _lines;
    private readonly Counter _syscalls;
    private readonly Counter _alerts;
    private readonly Counter _overflows;
    private readonly Gauge _pending;
    private readonly Gauge _sinkErrorTime;
    private readonly Gauge _lag;
    private readonly Gauge _growthAge;
    private readonly Gauge _silent;
    private readonly Gauge _reading;
    private readonly Gauge _lastErrorTime;
    private readonly Gauge _lastError;
    private readonly Lock _lock = new();
    private readonly HashSet<string> _vms = new(StringComparer.Ordinal);
    private AgentSession? _current;
    private (long Lines, long Syscalls, long Raised, long Internal, long Overflows) _carried;
    private (DateTimeOffset Time, string Error)? _carriedError;
    private string[]? _lastErrorLabels;

    private AgentMetrics(MetricsAddress address, Func<AgentSession> session)
    {
        _session = session;
        CollectorRegistry registry = Prometheus.Metrics.NewCustomRegistry();
        MetricFactory metrics = Prometheus.Metrics.WithCustomRegistry(registry);
        _lines = metrics.CreateCounter("sysprint_lines_read_total", "Lines of the VMs' logs read by this agent (a log read again after a restart or a fingerprint change counts again).");
        _syscalls = metrics.CreateCounter("sysprint_syscalls_checked_total", "System calls checked against the fingerprints.");
        _alerts = metrics.CreateCounter("sysprint_alerts_raised_total", "Alerts raised by this agent, each once (source: syscall for a mismatch, internal for Sysprint's own trouble: a log it cannot read, a silent VM, a log that shrank).",
            new CounterConfiguration { LabelNames = ["source"] });
        _overflows = metrics.CreateCounter("sysprint_inotify_overflows_total", "Times inotify lost events (its queue overflowed): the spools were listed again.");
        _pending = metrics.CreateGauge("sysprint_alerts_pending", "Alerts stored in the outbox that this sink has not taken yet.", new GaugeConfiguration { LabelNames = ["sink"] });
        _sinkErrorTime = metrics.CreateGauge("sysprint_sink_last_error_timestamp_seconds", "When this sink last failed to take an alert (Unix time; 0: never).", new GaugeConfiguration { LabelNames = ["sink"] });
        _lag = metrics.CreateGauge("sysprint_vm_lag_bytes", "Bytes written to this VM's logs being read that the agent has not read yet.", new GaugeConfiguration { LabelNames = ["vm"] });
        _growthAge = metrics.CreateGauge("sysprint_vm_last_growth_age_seconds", "Seconds since this VM's logs being read last grew.", new GaugeConfiguration { LabelNames = ["vm"] });
        _silent = metrics.CreateGauge("sysprint_vm_silent", "1 while this VM's logs have not grown for silent_vm_after_s with one of them not ended, else 0.", new GaugeConfiguration { LabelNames = ["vm"] });
        _reading = metrics.CreateGauge("sysprint_files_reading", "Logs being read now.");
        _lastErrorTime = metrics.CreateGauge("sysprint_last_error_timestamp_seconds", "When the agent last met an error: a sink that failed, or an internal alert (Unix time; 0: none yet).");
        _lastError = metrics.CreateGauge("sysprint_last_error_info", "The last error (its text in the error label, where it happened in the where label); the value is 1.",
            new GaugeConfiguration { LabelNames = ["where", "error"] });
        registry.AddBeforeCollectCallback(Collect);
        _server = new MetricServer(address.ListenerHost, address.Port, "metrics/", registry);
        Address = address;
    }

    public MetricsAddress Address { get; }

    /// <summary>Starts serving <c>/metrics</c> on <paramref name="address"/>.</summary>
    /// <exception cref="SysprintException">The address cannot be listened on (75: in use, or not this machine's).</exception>
    public static AgentMetrics Start(MetricsAddress address, Func<AgentSession> session, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(logger);
        var metrics = new AgentMetrics(address, session);
        try
        {
            metrics._server.Start();
        }
        catch (HttpListenerException e)
        {
            metrics.Dispose();
            throw new SysprintException(ErrorKind.TemporaryFailure,
                $"{address}: cannot serve the metrics there: {e.Message} (another process may listen on it: stop it, or give another HOST:PORT to --metrics or 'metrics')", e);
        }

        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation("serving Prometheus metrics at http://{Address}/metrics", address);
        }

        return metrics;
    }

    public void Dispose() => _server.Dispose();

    /// <summary>Before each scrape: every value read anew from the running session.</summary>
    private void Collect()
    {
        lock (_lock)
        {
            AgentSession session = _session();
            if (!ReferenceEquals(session, _current))
            {
                // A reload: the ended session's totals go on in the counters.
                if (_current is not null)
                {
                    WatchProgress ended = _current.Watcher.Progress();
                    _carried = (_carried.Lines + ended.Lines, _carried.Syscalls + ended.Syscalls, _carried.Raised + _current.Outbox.Raised,
                        _carried.Internal + _current.Outbox.RaisedInternal, _carried.Overflows + _current.Watcher.InotifyOverflows);
                    _carriedError = Newest(_carriedError, _current.Outbox.LastInternal);
                }

                _current = session;
            }

            WatchProgress progress = session.Watcher.Progress();
            _lines.IncTo(_carried.Lines + progress.Lines);
            _syscalls.IncTo(_carried.Syscalls + progress.Syscalls);
            long internalAlerts = _carried.Internal + session.Outbox.RaisedInternal;
            _alerts.WithLabels("internal").IncTo(internalAlerts);
            _alerts.WithLabels("syscall").IncTo(_carried.Raised + session.Outbox.Raised - internalAlerts);
            _overflows.IncTo(_carried.Overflows + session.Watcher.InotifyOverflows);
            _reading.Set(progress.FilesReading);

            DateTime now = DateTime.UtcNow;
            foreach (string vm in _vms)
            {
                if (!progress.Vms.ContainsKey(vm))
                {
                    // No log of it is being read: nothing behind, and no growth to time.
                    _lag.WithLabels(vm).Set(0);
                    _silent.WithLabels(vm).Set(0);
                    _growthAge.RemoveLabelled(vm);
                }
            }

            foreach (var (vm, state) in progress.Vms)
            {
                _vms.Add(vm);
                _lag.WithLabels(vm).Set(state.LagBytes);
                _silent.WithLabels(vm).Set(state.Silent ? 1 : 0);
                if (state.LastGrowth is { } growth)
                {
                    _growthAge.WithLabels(vm).Set(Math.Max(0, (now - growth).TotalSeconds));
                }
            }

            (DateTimeOffset Time, string Error)? last = Newest(_carriedError, session.Outbox.LastInternal);
            string where = "agent";
            try
            {
                IReadOnlyList<SinkCounts> counts = session.Outbox.SinkCounts();
                foreach (string sink in session.Outbox.SinkNames)
                {
                    SinkCounts? count = counts.FirstOrDefault(c => c.Sink == sink);
                    _pending.WithLabels(sink).Set(count?.Pending ?? 0);
                    _sinkErrorTime.WithLabels(sink).Set(count?.LastErrorTime?.ToUnixTimeMilliseconds() / 1000.0 ?? 0);
                    if (count is { LastErrorTime: { } at, LastError: { } error } && (last is null || at > last.Value.Time))
                    {
                        last = (at, error);
                        where = "sink " + sink;
                    }
                }
            }
            catch (Exception e) when (e is SysprintException or ObjectDisposedException or InvalidOperationException)
            {
                // A reload closed the session's store meanwhile: the next scrape reads the new one.
            }

            if (last is { } newest)
            {
                _lastErrorTime.Set(newest.Time.ToUnixTimeMilliseconds() / 1000.0);
                string[] labels = [where, Printable.Escape(newest.Error)];
                if (_lastErrorLabels is not null && !_lastErrorLabels.SequenceEqual(labels))
                {
                    _lastError.RemoveLabelled(_lastErrorLabels);
                }

                _lastError.WithLabels(labels).Set(1);
                _lastErrorLabels = labels;
            }
        }
    }

    private static (DateTimeOffset Time, string Error)? Newest((DateTimeOffset Time, string Error)? a, (DateTimeOffset Time, string Error)? b) =>
        a is null ? b : b is null ? a : (a.Value.Time >= b.Value.Time ? a : b);
}

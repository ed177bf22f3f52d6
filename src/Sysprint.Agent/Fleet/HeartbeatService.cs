using System.Reflection;
using Microsoft.Extensions.Logging;
using Sysprint.Fleet;
using Sysprint.Storage;

namespace Sysprint.Agent.Fleet;

/// <summary>
/// Sends a heartbeat at once and then at the interval the server asks for: the agent's version,
/// the bytes written to watched logs and not read yet (lag), the files being read, the alerts
/// pending per sink and the newest delivery error. Reads them from its own connection to the
/// agent's store (owned, disposed with it). A failed heartbeat is logged and tried again at the
/// next tick.
/// </summary>
internal sealed class HeartbeatService : FleetLoop
{
    private static readonly string s_version =
        typeof(HeartbeatService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private readonly FleetConnection _connection;
    private readonly IAgentStore _store;
    private readonly ILogger _logger;

    public HeartbeatService(FleetConnection connection, IAgentStore store, ILogger logger)
    {
        _connection = connection;
        _store = store;
        _logger = logger;
    }

    protected override void Release()
    {
        _store.Dispose();
    }

    protected override async Task RunAsync(CancellationToken stop)
    {
        TimeSpan interval = TimeSpan.FromSeconds(_connection.Credential?.HeartbeatIntervalSeconds ?? 30);
        string? lastProblem = null;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                FleetCredential credential = await _connection.EnsureEnrolledAsync(stop).ConfigureAwait(false);
                interval = await _connection.Client.HeartbeatAsync(credential.Credential, Collect(), stop).ConfigureAwait(false);
                if (lastProblem is not null && _logger.IsEnabled(LogLevel.Information))
                {
                    Uri server = _connection.Client.Server;
                    _logger.LogInformation("heartbeats reach {Server} again", server);
                }

                lastProblem = null;
            }
            catch (Exception e) when (!stop.IsCancellationRequested && e is HttpRequestException or FleetRefusedException or TaskCanceledException
                or Diagnostics.SysprintException)
            {
                // Logged once per distinct problem, not at every tick of a long outage.
                if (e.Message != lastProblem)
                {
                    Uri server = _connection.Client.Server;
                    _logger.LogWarning("heartbeat to {Server} failed: {Error}", server, e.Message);
                    lastProblem = e.Message;
                }
            }

            await Task.Delay(interval, stop).ConfigureAwait(false);
        }
    }

    /// <summary>What the heartbeat says, read now.</summary>
    internal FleetHeartbeat Collect()
    {
        long lag = 0;
        long reading = 0;
        var vms = new Dictionary<string, (DateTimeOffset Last, long Logs, long Anomalous, long Failed)>(StringComparer.Ordinal);
        foreach (WatchedFile file in _store.ListWatchedFiles())
        {
            vms.TryGetValue(file.Vm, out var vm);
            bool failed = file.State == WatchedFileStates.Failed;
            bool counted = file.State is WatchedFileStates.Reading or WatchedFileStates.Done;
            vms[file.Vm] = (file.Updated > vm.Last ? file.Updated : vm.Last, vm.Logs + (counted ? 1 : 0),
                vm.Anomalous + (counted && file.Alerts > 0 ? 1 : 0), vm.Failed + (failed ? 1 : 0));

            if (file.State != WatchedFileStates.Reading)
            {
                continue;
            }

            reading++;
            var info = new FileInfo(file.Path);
            lag += Math.Max(0, (info.Exists ? info.Length : file.Size) - file.Bytes);
        }

        var pending = new Dictionary<string, long>(StringComparer.Ordinal);
        string? lastError = null;
        DateTimeOffset? lastErrorTime = null;
        foreach (SinkCounts sink in _store.CountDeliveries())
        {
            pending[sink.Sink] = sink.Pending;
            if (sink.Pending > 0 && sink.LastError is not null && (lastErrorTime is null || sink.LastErrorTime > lastErrorTime))
            {
                lastError = $"{sink.Sink}: {sink.LastError}";
                lastErrorTime = sink.LastErrorTime;
            }
        }

        return new FleetHeartbeat(s_version, lag, reading, pending, lastError)
        {
            Vms = [.. vms.OrderByDescending(v => v.Value.Last).ThenBy(v => v.Key, StringComparer.Ordinal).Take(VmChecks.MaxPerHeartbeat)
                .Select(v => new VmChecks(v.Key, v.Value.Last, v.Value.Logs, v.Value.Anomalous, v.Value.Failed))],
            VmsTotal = vms.Count,
        };
    }
}

using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Sysprint.Agent.Hosting;

/// <summary>
/// The agent's current <see cref="AgentSession"/> and how to make the next one: SIGHUP asks for a
/// reload, which ends the running session's watch (see <see cref="AgentWorker"/>).
/// </summary>
internal sealed class AgentRuntime : IDisposable
{
    private readonly Func<AgentConfig>? _loadConfig;
    private readonly AgentStores _stores;
    private readonly TextWriter? _console;
    private readonly PosixSignalRegistration? _hangup;
    private CancellationTokenSource? _cycle;
    private int _pending;

    public AgentRuntime(AgentSession first, Func<AgentConfig>? loadConfig, AgentStores stores, TextWriter? console, ILoggerFactory loggers)
    {
        Session = first;
        _loadConfig = loadConfig;
        _stores = stores;
        _console = console;
        Loggers = loggers;
        if (loadConfig is not null)
        {
            _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                // Reload instead of the default action (the process ends).
                context.Cancel = true;
                RequestReload();
            });
        }
    }

    public AgentSession Session { get; set; }

    public ILoggerFactory Loggers { get; }

    /// <summary>What ended the agent when a reload could not open any session (rethrown by the host).</summary>
    public Exception? Failure { get; set; }

    /// <summary>Reloads done, for the log and for tests.</summary>
    public int Reloads { get; set; }

    /// <summary>A token that fires when a reload is asked for (or already was, since the last cycle).</summary>
    public CancellationTokenSource BeginCycle(CancellationToken stopping)
    {
        var cycle = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        Volatile.Write(ref _cycle, cycle);
        if (Interlocked.Exchange(ref _pending, 0) == 1)
        {
            cycle.Cancel();
        }

        return cycle;
    }

    public void EndCycle() => Volatile.Write(ref _cycle, null);

    public void RequestReload()
    {
        CancellationTokenSource? cycle = Volatile.Read(ref _cycle);
        if (cycle is null)
        {
            Interlocked.Exchange(ref _pending, 1);
            return;
        }

        try
        {
            cycle.Cancel();
        }
        catch (ObjectDisposedException)
        {
            Interlocked.Exchange(ref _pending, 1);
        }
    }

    /// <summary>The config read again; null when it cannot be (the reason is logged).</summary>
    public AgentConfig LoadConfig() => _loadConfig!();

    public AgentSession Open(AgentConfig config) => AgentSession.Open(config, _stores, _console, Loggers);

    public void Dispose() => _hangup?.Dispose();
}

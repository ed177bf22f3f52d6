namespace Sysprint.Agent.Fleet;

/// <summary>
/// One of the agent's conversations with the fleet server that runs in the background until the
/// session ends (heartbeats, the profile feed, learning uploads): started once; disposing it stops
/// the loop, waits for it to end, then releases what the loop owned.
/// </summary>
internal abstract class FleetLoop : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public void Start() => _loop ??= Task.Run(() => RunAsync(_stop.Token));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
        }

        Release();
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The loop, until <paramref name="stop"/>.</summary>
    protected abstract Task RunAsync(CancellationToken stop);

    /// <summary>Releases what the loop used (its store connection), once it has ended.</summary>
    protected abstract void Release();
}

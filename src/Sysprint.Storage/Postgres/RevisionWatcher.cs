using System.Globalization;
using Npgsql;

namespace Sysprint.Storage.Postgres;

/// <summary>
/// Follows the fingerprint store's revision for a server instance: one connection that
/// <c>LISTEN</c>s on <see cref="PostgresFingerprintStore.ChangeChannel"/> (every committed change
/// announces its revision), and reads the revision again every few seconds and after a reconnect,
/// so a lost notification delays a change by seconds at most. Any number of long-polls wait on it
/// without a query each.
/// </summary>
internal sealed class RevisionWatcher : IAsyncDisposable
{
    /// <summary>How often the revision is read even without a notification.</summary>
    private static readonly TimeSpan s_reread = TimeSpan.FromSeconds(3);

    private readonly NpgsqlDataSource _source;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _revision = -1;
    private Task? _loop;
    private bool _disposed;

    public RevisionWatcher(NpgsqlDataSource source) => _source = source;

    /// <summary>
    /// The current revision once it differs from <paramref name="known"/> (null: at once), or the
    /// current one when <paramref name="timeout"/> passes first.
    /// </summary>
    public async Task<long> WaitAsync(long? known, TimeSpan timeout, CancellationToken cancellationToken)
    {
        EnsureStarted();
        long now = await CurrentAsync(cancellationToken).ConfigureAwait(false);
        if (known is null || now != known || timeout <= TimeSpan.Zero)
        {
            return now;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_revision >= 0 && _revision != known)
                {
                    return _revision;
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                lock (_gate)
                {
                    return _revision >= 0 ? _revision : now;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped, as asked.
            }
        }

        _stop.Dispose();
    }

    /// <summary>The revision as last seen, read from the database while none was seen yet.</summary>
    private async Task<long> CurrentAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_revision >= 0)
            {
                return _revision;
            }
        }

        long revision = await ReadAsync(_source, cancellationToken).ConfigureAwait(false);
        Publish(revision);
        return revision;
    }

    private void EnsureStarted()
    {
        lock (_gate)
        {
            _loop ??= Task.Run(() => ListenAsync(_stop.Token));
        }
    }

    private async Task ListenAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using NpgsqlConnection connection = await _source.OpenConnectionAsync(stop).ConfigureAwait(false);
                connection.Notification += (_, e) =>
                {
                    if (long.TryParse(e.Payload, NumberStyles.None, CultureInfo.InvariantCulture, out long revision))
                    {
                        Publish(revision);
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {PostgresFingerprintStore.ChangeChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
                }

                while (!stop.IsCancellationRequested)
                {
                    // Read again after (re)connecting and every few seconds: notifications sent while
                    // no connection listened are gone.
                    await using (var read = new NpgsqlCommand("SELECT revision FROM store_revision WHERE id = 1", connection))
                    {
                        Publish(await read.ExecuteScalarAsync(stop).ConfigureAwait(false) is long revision ? revision : 0);
                    }

                    await connection.WaitAsync(s_reread, stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (NpgsqlException)
            {
                // The database is away: try again shortly; waiters keep the revision they saw.
                await Task.Delay(TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
            }
        }
    }

    private void Publish(long revision)
    {
        TaskCompletionSource? wake = null;
        lock (_gate)
        {
            // Revisions only grow; an older one (a read racing a notification) is ignored.
            if (revision > _revision)
            {
                _revision = revision;
                wake = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        wake?.TrySetResult();
    }

    /// <summary>The revision committed now.</summary>
    internal static async Task<long> ReadAsync(NpgsqlDataSource source, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = source.CreateCommand("SELECT revision FROM store_revision WHERE id = 1");
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long revision ? revision : 0;
    }
}

using Sysprint.Agent.Tracing;

namespace Sysprint.Agent.Watch;

/// <summary>
/// A file read as it grows (<c>tail -F</c>): <see cref="Read(Span{byte})"/> returns what is there and, at the
/// end of the file, waits and polls for more instead of returning 0, so a line reader blocks at
/// the end like on a pipe and sees each line as soon as it lands. It returns 0 (the end) only when
/// the file is finished (<see cref="TailEnd"/>), and throws <see cref="OperationCanceledException"/>
/// when asked to stop. Given a wake handle (set when inotify reports the file written), it looks
/// again at once instead of at the next poll.
/// </summary>
public sealed class TailStream : Stream
{
    private readonly FileStream _file;
    private readonly string _path;
    private readonly (long Device, long Inode)? _id;
    private readonly TailOptions _options;
    private readonly CancellationToken _stop;
    private readonly WaitHandle[] _waits;
    private readonly Func<bool>? _arm;
    private long _position;
    private DateTime _lastGrowth = DateTime.UtcNow;
    private DateTime? _goneSince;

    /// <param name="file">Opened for reading at its start; owned by the stream.</param>
    /// <param name="wake">Set when the file may have grown (inotify): the stream looks at once; null: it polls only.</param>
    /// <param name="arm">
    /// Called at the end of the file before waiting: asks for <paramref name="wake"/> to be set at
    /// the file's next write (true when that was armed; the stream then reads once more, for a write
    /// made before). Null: the stream polls only.
    /// </param>
    public TailStream(FileStream file, string path, TailOptions options, CancellationToken stop, WaitHandle? wake = null, Func<bool>? arm = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        _file = file;
        _path = path;
        _options = options;
        _stop = stop;
        _waits = wake is null ? [stop.WaitHandle] : [stop.WaitHandle, wake];
        _arm = wake is null ? null : arm;
        _id = Posix.FileId(path);
    }

    /// <summary>Why the end was reported (<see cref="TailEnd.None"/> while reading).</summary>
    public TailEnd End { get; private set; }

    /// <summary>Bytes returned so far.</summary>
    public long BytesRead => Interlocked.Read(ref _position);

    /// <summary>The file's size when last looked at.</summary>
    public long LastSize { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            _stop.ThrowIfCancellationRequested();
            if (End != TailEnd.None)
            {
                return 0;
            }

            int n = _file.Read(buffer);
            if (n > 0)
            {
                Interlocked.Add(ref _position, n);
                _lastGrowth = DateTime.UtcNow;
                _goneSince = null;
                return n;
            }

            TailEnd end = Finished();
            if (end != TailEnd.None)
            {
                End = end;
                return 0;
            }

            if (_arm is not null && _arm())
            {
                // Armed: a write from now on wakes this reader; one made before arming is read now.
                n = _file.Read(buffer);
                if (n > 0)
                {
                    Interlocked.Add(ref _position, n);
                    _lastGrowth = DateTime.UtcNow;
                    _goneSince = null;
                    return n;
                }
            }

            DateTime atEnd = DateTime.UtcNow;
            if (WaitHandle.WaitAny(_waits, _options.PollInterval) == 1)
            {
                // Woken by a write. A busy log (written again soon after its end was reached) waits
                // out the gap, so that its writes are read in batches rather than a wake-up each.
                TimeSpan since = DateTime.UtcNow - atEnd;
                if (since < _options.WakeGap)
                {
                    _stop.WaitHandle.WaitOne(_options.WakeGap - since);
                }
            }
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>At the end of what was written so far: is the file finished?</summary>
    private TailEnd Finished()
    {
        long size = _file.Length;
        LastSize = size;
        if (size < _position)
        {
            return TailEnd.Truncated;
        }

        DateTime now = DateTime.UtcNow;
        if (!SamePath())
        {
            // Renamed away or deleted: its writer may still finish a line before reopening.
            _goneSince ??= now;
            if (now - _goneSince.Value >= _options.RotateGrace)
            {
                return TailEnd.Rotated;
            }
        }
        else
        {
            _goneSince = null;
        }

        return _options.IdleTimeout > TimeSpan.Zero && now - _lastGrowth >= _options.IdleTimeout ? TailEnd.Idle : TailEnd.None;
    }

    private bool SamePath()
    {
        (long Device, long Inode)? now = Posix.FileId(_path);
        return now is not null && now == _id;
    }
}

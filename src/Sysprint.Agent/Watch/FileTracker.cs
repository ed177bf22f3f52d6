using Microsoft.Extensions.Logging;
using Sysprint.Agent.Alerts;
using Sysprint.Agent.Hosting;
using Sysprint.Agent.Live;
using Sysprint.Agent.Tracing;
using Sysprint.Diagnostics;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.Agent.Watch;

/// <summary>
/// Reads one watched log on its own thread, from its start, through <see cref="LogReader"/> into a
/// <see cref="LiveCheck"/>: a plain file is followed as it grows (<see cref="TailStream"/>), a gzip
/// file is read once. Each distinct mismatch is raised at once through the outbox, with an id
/// made of the VM, the log's content key, the line and the window, so reading the log again
/// (after a restart) raises nothing twice.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Its reader thread disposes the wake event (and the stop source) when it ends; Wake after that is a no-op.")]
internal sealed class FileTracker
{
    private readonly SpoolWatcher _watcher;
    private readonly CancellationTokenSource _stop;
    private readonly Lock _lock = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly WaitHandle[] _waits;
    private WatchedFile _row;
    private volatile TailStream? _tail;
    private volatile LiveCheck? _check;
    private Thread? _thread;
    private string? _program;
    private bool _programLooked;
    private volatile bool _replaced;
    private volatile bool _restarting;
    private volatile string? _profileName;
    private volatile bool _marksEnds;
    private int _armed = -1;
    private long _alerts;

    public FileTracker(SpoolWatcher watcher, WatchedFile row, CancellationToken stop)
    {
        _watcher = watcher;
        _row = row;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(stop);
        _waits = [_stop.Token.WaitHandle, _wake];
        Gzip = FileHead.IsGzip(row.Path);
    }

    public long Id => _row.Id;

    public string Path => _row.Path;

    public bool Gzip { get; }

    /// <summary>The row as first given (identity, head), for the scanner.</summary>
    public WatchedFile Row
    {
        get
        {
            lock (_lock)
            {
                return _row;
            }
        }
    }

    /// <summary>True once the thread has ended (the row holds the final state).</summary>
    public bool Finished { get; private set; }

    /// <summary>The key alert ids are made of: the content part of the row's key.</summary>
    public string AlertKey => ContentKey(_row.Key);

    /// <summary>The part of a row key that names the content (before <c>#</c>).</summary>
    public static string ContentKey(string rowKey)
    {
        int hash = rowKey.IndexOf('#', StringComparison.Ordinal);
        return hash < 0 ? rowKey : rowKey[..hash];
    }

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "sysprint tail " + System.IO.Path.GetFileName(_row.Path) };
        _thread.Start();
    }

    /// <summary>
    /// The file was written (inotify): a reader waiting at its end, or for its format or program,
    /// looks again at once instead of at its next poll. Safe from any thread, also once finished.
    /// </summary>
    public void Wake()
    {
        try
        {
            _wake.Set();
        }
        catch (ObjectDisposedException)
        {
            // Finished meanwhile.
        }
    }

    /// <summary>Stops reading because the file's content was replaced in place.</summary>
    public void Replace()
    {
        _replaced = true;
        _stop.Cancel();
    }

    /// <summary>
    /// Stops reading so that the next scan reads the log again from its start, against a profile
    /// reloaded since: the row stays <c>reading</c>, as when the agent stops, and the alerts raised
    /// already are dropped by id.
    /// </summary>
    public void Restart()
    {
        _restarting = true;
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // It ended meanwhile: the scan starts it again if it is unfinished.
        }
    }

    /// <summary>True once <see cref="Restart"/> was asked.</summary>
    public bool Restarting => _restarting;

    /// <summary>The profile the log is checked against, once chosen (null before: the log's format or program is awaited).</summary>
    public string? ProfileName => _profileName;

    public void Join(TimeSpan timeout) => _thread?.Join(timeout);

    /// <summary>Lines read so far (from any thread).</summary>
    public long LinesRead => _check?.LastLine ?? 0;

    /// <summary>System calls checked so far (from any thread).</summary>
    public long SyscallsChecked => _check?.Syscalls ?? 0;

    /// <summary>Bytes of the file read so far (plain files; from any thread).</summary>
    public long BytesRead => _tail?.BytesRead ?? 0;

    /// <summary>
    /// True while the log's program runs, as far as the log tells: its format marks each thread's
    /// end (strace's <c>+++ exited</c> and <c>+++ killed by</c>, NtTrace's thread exit) and a thread
    /// that made a call has not ended. False for a compressed log, and for formats without such
    /// marks (ADFA-LD, UNM): the agent cannot tell those are unfinished.
    /// </summary>
    public bool SessionOpen => !Gzip && _marksEnds && _check is { ThreadsAlive: > 0 };

    /// <summary>
    /// The file's last write time and size, while its path still leads to it (null once renamed
    /// away or deleted: the log that replaced it counts instead).
    /// </summary>
    public (DateTime Written, long Size)? Stat()
    {
        var info = new FileInfo(_row.Path);
        return info.Exists && Posix.FileId(_row.Path) == (_row.Device, _row.Inode) ? (info.LastWriteTimeUtc, info.Length) : null;
    }

    /// <summary>The row with the progress so far.</summary>
    public WatchedFile Snapshot()
    {
        lock (_lock)
        {
            TailStream? tail = _tail;
            LiveCheck? check = _check;
            if (tail is not null)
            {
                _row = _row with { Bytes = tail.BytesRead, Size = Math.Max(tail.LastSize, tail.BytesRead) };
            }

            if (check is not null)
            {
                _row = _row with { Lines = check.LastLine, Syscalls = check.Syscalls };
            }

            _row = _row with { Alerts = Interlocked.Read(ref _alerts), Updated = DateTimeOffset.UtcNow };
            return _row;
        }
    }

    private void Run()
    {
        try
        {
            Read();
        }
        catch (OperationCanceledException) when (_replaced)
        {
            SetState(WatchedFileStates.Replaced, "content replaced in place while read");
        }
        catch (OperationCanceledException)
        {
            // The agent stops: the row stays 'reading', the next start reads the log again.
        }
        catch (MalformedInputException e)
        {
            Fail(AgentErrorText.Of(e), e.Message.EndsWith("the log is empty", StringComparison.Ordinal));
        }
        catch (SysprintException e)
        {
            Fail(AgentErrorText.Of(e), quiet: e.Kind == ErrorKind.InputMissing && !File.Exists(_row.Path));
        }
        catch (IOException e)
        {
            Fail($"{_row.Path}: {e.Message}", quiet: !File.Exists(_row.Path));
        }
        catch (UnauthorizedAccessException e)
        {
            Fail($"{_row.Path}: {e.Message}", quiet: false);
        }
        finally
        {
            lock (_lock)
            {
                _tail?.Dispose();
                _tail = null;
            }

            _watcher.Wakes?.Disarm(_armed);
            _stop.Dispose();
            _wake.Dispose();
            Finished = true;
            _watcher.TrackerFinished(this);
        }
    }

    private void Read()
    {
        CancellationToken stop = _stop.Token;
        var options = new LogReadOptions
        {
            Format = _watcher.Settings.Format,
            SkipMalformed = _watcher.Settings.SkipMalformed,
            MaxLineBytes = _watcher.Settings.MaxLineBytes,
        };
        RefuseOutside(Posix.RealPath(_row.Path));
        if (Gzip)
        {
            Wait(() => DateTime.UtcNow - File.GetLastWriteTimeUtc(_row.Path) >= _watcher.Settings.Settle, stop);
        }

        options = options with { Format = WaitForFormat(options, stop) };
        _marksEnds = options.Format is LogFormat.Strace or LogFormat.NtTrace;
        string profileName = _watcher.Settings.VmProfiles.TryGetValue(_row.Vm, out string? named) ? named : _watcher.Settings.Profile;
        if (profileName == Engine.Trainer.AutoProfile)
        {
            profileName = WaitForProgram(options, stop);
        }

        LiveProfile profile = _watcher.Profile(profileName);
        _profileName = profile.Name;
        SyscallTable table = _watcher.NewTable();
        var subject = new AlertSubject(_row.Vm, _row.Path, AlertKey, null, profile.Name, profile.Detector);
        var check = new LiveCheck(profile, mismatch => Raise(subject, mismatch, table, options), maxAlerts: _watcher.Settings.MaxAlertsPerLog);
        Stream stream;
        TailStream? tail = null;
        if (Gzip)
        {
            stream = LogReader.OpenLog(_row.Path);
        }
        else
        {
            var file = new FileStream(_row.Path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                BufferSize = 0,
            });
            // What was opened, not what the path names now: a link swapped in since the scan is refused too.
            string fd = file.SafeFileHandle.DangerousGetHandle().ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (_watcher.OutsideReason(_row, new FileInfo("/proc/self/fd/" + fd).LinkTarget) is { } reason)
            {
                file.Dispose();
                throw new SysprintException(ErrorKind.Untrusted, reason);
            }

            FileWakes? wakes = _watcher.Wakes;
            tail = new TailStream(file, _row.Path, _watcher.Settings.Tail, stop, _wake, wakes is null ? null : () =>
            {
                // At the file's end: its next write wakes this reader (inotify), instead of the next poll.
                int armed = wakes.Arm(file.SafeFileHandle, _wake);
                if (armed >= 0)
                {
                    _armed = armed;
                }

                return armed >= 0;
            });
            stream = tail;
        }

        lock (_lock)
        {
            _tail = tail;
            _check = check;
        }

        LogReadResult read;
        using (stream)
        {
            read = LogReader.Read(stream, _row.Path, table, options, check);
        }

        check.Complete();

        if (read.SkippedLines > 0 && _watcher.Logger.IsEnabled(LogLevel.Warning))
        {
            string first = read.FirstSkipped.Count > 0 ? read.FirstSkipped[0].ToString() ?? "?" : "?";
            _watcher.Logger.LogWarning("{Path}: {Skipped} malformed lines skipped, the first at {Where}", Printable.Escape(_row.Path), read.SkippedLines, Printable.Escape(first));
        }

        WatchedFile done = Snapshot();
        if (Gzip)
        {
            // Bytes of content (decompressed), as the gzip trailer states them; the size on disk for the skip check.
            done = done with { Bytes = read.Bytes, Size = new FileInfo(_row.Path).Length, Lines = read.Lines, Syscalls = read.Syscalls };
        }

        if (tail?.End == TailEnd.Truncated)
        {
            // Shorter than what was read: copytruncate leaves a copy of the log beside it; without one, lines were removed.
            string? shrank = _watcher.Shrank(this, tail.BytesRead, tail.LastSize);
            SetState(WatchedFileStates.Replaced, shrank ?? "ended: truncated", done);
            return;
        }

        SetState(WatchedFileStates.Done, tail is null ? null : "ended: " + tail.End.ToString().ToLowerInvariant(), done);
    }

    /// <summary>Stops before reading a byte of a file that is really outside its VM's folder (see <see cref="SpoolWatcher.OutsideReason"/>).</summary>
    private void RefuseOutside(string? realPath)
    {
        if (_watcher.OutsideReason(_row, realPath) is { } reason)
        {
            throw new SysprintException(ErrorKind.Untrusted, reason);
        }
    }

    /// <summary>The log's format: as configured, else detected once the file holds enough lines to tell.</summary>
    private LogFormat WaitForFormat(LogReadOptions options, CancellationToken stop)
    {
        if (options.Format != LogFormat.Auto)
        {
            return options.Format;
        }

        DateTime since = DateTime.UtcNow;
        while (true)
        {
            try
            {
                return LogReader.Detect(_row.Path);
            }
            catch (MalformedInputException) when (!Gzip && StillGrowing(since))
            {
                // Too few lines yet to tell: wait for more.
            }

            WaitHandle.WaitAny(_waits, _watcher.Settings.Tail.PollInterval);
            stop.ThrowIfCancellationRequested();
        }
    }

    /// <summary>For <c>--profile auto</c>: the program of the log's first execve, once it is written.</summary>
    private string WaitForProgram(LogReadOptions options, CancellationToken stop)
    {
        DateTime since = DateTime.UtcNow;
        while (true)
        {
            string? program = LogReader.FindProgram(_row.Path, options);
            if (program is not null)
            {
                return program;
            }

            if (Gzip || !StillGrowing(since))
            {
                throw new SysprintException(ErrorKind.MalformedInput, $"{_row.Path}: no execve in the log to name its profile after (--profile auto)");
            }

            WaitHandle.WaitAny(_waits, _watcher.Settings.Tail.PollInterval);
            stop.ThrowIfCancellationRequested();
        }
    }

    /// <summary>True while the file is small enough that more lines may settle the question, and not idle.</summary>
    private bool StillGrowing(DateTime since)
    {
        var info = new FileInfo(_row.Path);
        if (!info.Exists || info.Length >= 64 * 1024)
        {
            return false;
        }

        TimeSpan idle = _watcher.Settings.Tail.IdleTimeout;
        DateTime lastActivity = info.LastWriteTimeUtc > since ? info.LastWriteTimeUtc : since;
        return idle <= TimeSpan.Zero || DateTime.UtcNow - lastActivity < idle;
    }

    private void Wait(Func<bool> ready, CancellationToken stop)
    {
        while (!ready())
        {
            WaitHandle.WaitAny(_waits, _watcher.Settings.Tail.PollInterval);
            stop.ThrowIfCancellationRequested();
        }
    }

    private void Raise(AlertSubject subject, Mismatch mismatch, SyscallTable table, LogReadOptions options)
    {
        if (!_programLooked)
        {
            _programLooked = true;
            _program = LogReader.FindProgram(_row.Path, options with { Format = LogFormat.Auto }, maxLines: 10_000);
        }

        Alert alert = _watcher.Factory.Mismatch(subject with { Program = _program }, mismatch, table, DateTimeOffset.UtcNow);
        _watcher.Outbox.Raise(alert);
        Interlocked.Increment(ref _alerts);
    }

    private void Fail(string message, bool quiet)
    {
        SetState(WatchedFileStates.Failed, message);
        if (!quiet)
        {
            _watcher.Logger.LogError("cannot check {Path}: {Error}", Printable.Escape(_row.Path), Printable.Escape(message));
            _watcher.Outbox.Raise(_watcher.Factory.Internal(AlertFactory.UnreadableRule, AlertPriority.Error, _row.Vm, _row.Path,
                AlertKey, "unreadable", message, DateTimeOffset.UtcNow));
        }
    }

    private void SetState(string state, string? error, WatchedFile? snapshot = null)
    {
        WatchedFile row = snapshot ?? Snapshot();
        lock (_lock)
        {
            _row = row with { State = state, Error = error, Updated = DateTimeOffset.UtcNow };
        }
    }
}

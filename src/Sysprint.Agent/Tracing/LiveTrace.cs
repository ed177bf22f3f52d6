using System.Diagnostics;
using System.Globalization;
using Sysprint.Agent.Live;
using Sysprint.Agent.Tracing.Native;
using Sysprint.Diagnostics;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Parsing;

namespace Sysprint.Agent.Tracing;

/// <summary>
/// Runs a command under strace (or attaches strace to a process) and checks the trace while it
/// runs: <c>strace -f -o FIFO -- CMD ARGS</c>, with the named pipe read line by line through
/// <see cref="LogReader"/> into a <see cref="LiveCheck"/>. strace writes each line as the call
/// happens, so an alert is raised within milliseconds of the offending call; then, as asked, the
/// traced process tree is stopped or killed.
/// </summary>
public sealed class LiveTrace
{
    private readonly TraceOptions _options;
    private readonly LiveProfile _profile;
    private readonly SyscallTable _table;
    private readonly Action<Mismatch, LiveTrace> _onAlert;
    private readonly Lock _actionLock = new();
    private int _stracePid;
    private NativeTracer? _native;
    private TracedBinary? _binary;

    /// <param name="onAlert">Called on the reading thread for each distinct mismatch once the run is anomalous, before any stop or kill.</param>
    public LiveTrace(TraceOptions options, LiveProfile profile, SyscallTable table, Action<Mismatch, LiveTrace> onAlert)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(onAlert);
        _options = options;
        _profile = profile;
        _table = table;
        _onAlert = onAlert;
        if (options.AttachPid is { } pid)
        {
            Program = ProcessTree.ProgramOf(pid);
            DisplayName = string.Create(CultureInfo.InvariantCulture, $"attach: pid {pid} ({Program ?? "?"})");
            _binary = TracedBinary.OfProcess(pid);
        }
        else
        {
            Program = options.Command.Count > 0 ? Path.GetFileName(options.Command[0]) : null;
            DisplayName = "run: " + string.Join(' ', options.Command);
        }
    }

    /// <summary>The pids stopped or killed because of the anomaly (empty until then).</summary>
    public IReadOnlyList<int> Signalled { get; private set; } = [];

    /// <summary>The live check, once the trace has started.</summary>
    public LiveCheck? Check { get; private set; }

    /// <summary>A name for the trace in alerts: <c>run: cat /etc/hostname</c> or <c>attach: pid 4242 (nginx)</c>.</summary>
    public string DisplayName { get; }

    /// <summary>The program's name, for alerts.</summary>
    public string? Program { get; }

    /// <summary>
    /// The traced executable and its SHA-256: an attached process's <c>/proc/PID/exe</c> when
    /// attaching; with the native tracer, the command's <c>/proc/PID/exe</c> at its exec; with
    /// strace, the command resolved on <c>PATH</c> just before it starts. Null when unreadable.
    /// </summary>
    public TracedBinary? Binary => _native?.RootBinary ?? _binary;

    /// <summary>
    /// Traces to the end (the command exits, the process detaches, or <paramref name="cancellationToken"/>
    /// fires: then the command is killed, or strace detaches from an attached process).
    /// </summary>
    /// <exception cref="SysprintException">strace is missing (69); the command or process does not exist (66); strace failed (69).</exception>
    public TraceOutcome Run(CancellationToken cancellationToken)
    {
        if (_options.Tracer == TracerKind.Native)
        {
            return RunNative(cancellationToken);
        }

        string directory = Directory.CreateTempSubdirectory("sysprint-trace-").FullName;
        try
        {
            string fifo = Path.Combine(directory, "trace");
            Posix.MakeFifo(fifo);
            var check = new LiveCheck(_profile, OnAlert, ignoreThreadStarts: _options.AttachPid is not null, _options.MaxAlerts);
            Check = check;
            if (_options.AttachPid is null && _options.Command.Count > 0)
            {
                _binary = TracedBinary.OfFile(Executables.Find(_options.Command[0]));
            }

            using Process strace = Start(_options, fifo);
            _stracePid = strace.Id;
            using CancellationTokenRegistration stop = cancellationToken.Register(() => Interrupt(strace));
            LogReadResult? read = null;
            string? failure = null;
            using (Stream trace = OpenReader(fifo, strace))
            {
                var readOptions = new LogReadOptions { Format = LogFormat.Strace, SkipMalformed = true };
                try
                {
                    read = LogReader.Read(trace, DisplayName, _table, readOptions, check);
                }
                catch (MalformedInputException e)
                {
                    // Only "no system calls found": strace could not start or attach.
                    failure = e.Message;
                }
            }

            strace.WaitForExit();
            cancellationToken.ThrowIfCancellationRequested();
            if (read is not null)
            {
                check.Complete();
            }

            if (read is null)
            {
                throw new SysprintException(ErrorKind.Unavailable,
                    $"strace traced nothing (exit {strace.ExitCode.ToString(CultureInfo.InvariantCulture)}): {failure}; see strace's message above");
            }

            return new TraceOutcome(
                _options.AttachPid is null ? strace.ExitCode : null,
                read,
                check.Syscalls,
                check.Score,
                check.Anomalous,
                check.MismatchCount,
                check.Mismatches,
                check.Alerts,
                Signalled);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Traces with <see cref="NativeTracer"/>: each call checked at its entry, and denied, or the
    /// tree killed or stopped, before an anomalous call runs.
    /// </summary>
    private TraceOutcome RunNative(CancellationToken cancellationToken)
    {
        var check = new LiveCheck(_profile, OnAlert, ignoreThreadStarts: _options.AttachPid is not null, _options.MaxAlerts);
        Check = check;
        using var log = new TraceLogWriter(_options.TraceFile is null ? null : OpenLog(_options.TraceFile));
        var tracer = new NativeTracer(_options, _table, check, log);
        if (_options.AttachPid is null)
        {
            _native = tracer;
        }

        tracer.Run(cancellationToken);
        log.Flush();
        cancellationToken.ThrowIfCancellationRequested();
        check.Complete();
        Signalled = tracer.Signalled;
        var read = new LogReadResult
        {
            Path = DisplayName,
            Format = LogFormat.Strace,
            Lines = log.Lines,
            Syscalls = tracer.Syscalls,
            SkippedLines = tracer.Unmapped,
            FirstProgram = tracer.FirstProgram,
        };
        return new TraceOutcome(
            _options.AttachPid is null ? tracer.ExitCode : null,
            read,
            check.Syscalls,
            check.Score,
            check.Anomalous,
            check.MismatchCount,
            check.Mismatches,
            check.Alerts,
            Signalled,
            tracer.Denied,
            tracer.Undeniable);
    }

    private static FileStream OpenLog(string path) =>
        new(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 1);

    /// <summary>Runs the command traced, writing the trace to <paramref name="traceFile"/> (strace's <c>-f -ttt</c> shape with the native tracer), to the end; returns its exit status.</summary>
    public static int Record(TraceOptions options, string traceFile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Tracer == TracerKind.Native)
        {
            using var log = new TraceLogWriter(OpenLog(traceFile));
            var tracer = new NativeTracer(options, SyscallTable.Builtin("x86_64"), null, log);
            tracer.Run(cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            return tracer.ExitCode ?? 0;
        }

        using Process strace = Start(options, traceFile);
        using CancellationTokenRegistration stop = cancellationToken.Register(() => Interrupt(options, strace));
        strace.WaitForExit();
        cancellationToken.ThrowIfCancellationRequested();
        return strace.ExitCode;
    }

    private void OnAlert(Mismatch mismatch)
    {
        _onAlert(mismatch, this);
        if (_options.Tracer == TracerKind.Native)
        {
            // The native tracer acts itself, at the call's entry.
            return;
        }

        lock (_actionLock)
        {
            if (Signalled.Count > 0 || _options.OnAnomaly == AnomalyAction.Alert)
            {
                return;
            }

            int signal = _options.OnAnomaly == AnomalyAction.Kill ? Posix.SigKill : Posix.SigStop;
            var pids = new List<int>();
            if (_options.AttachPid is { } target && Posix.Signal(target, signal))
            {
                pids.Add(target);
            }

            pids.AddRange(ProcessTree.SignalDescendants(_options.AttachPid ?? _stracePid, signal));
            Signalled = pids;
        }
    }

    private static Process Start(TraceOptions options, string output)
    {
        string strace = StraceCapture.Strace();
        var start = new ProcessStartInfo(strace) { UseShellExecute = false };
        if (!options.InheritStdio)
        {
            start.RedirectStandardInput = true;
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
        }

        start.ArgumentList.Add("-f");
        start.ArgumentList.Add("-o");
        start.ArgumentList.Add(output);
        if (options.AttachPid is { } pid)
        {
            if (!Directory.Exists($"/proc/{pid}"))
            {
                throw new SysprintException(ErrorKind.InputMissing, $"no process {pid.ToString(CultureInfo.InvariantCulture)}");
            }

            start.ArgumentList.Add("-p");
            start.ArgumentList.Add(pid.ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            if (options.Command.Count == 0)
            {
                throw new ArgumentException("a command or a pid to attach to is needed", nameof(options));
            }

            if (Executables.Find(options.Command[0]) is null)
            {
                throw new SysprintException(ErrorKind.InputMissing, $"{Printable.Escape(options.Command[0])}: command not found");
            }

            foreach (var (key, value) in options.Environment)
            {
                start.ArgumentList.Add("-E");
                start.ArgumentList.Add($"{key}={value}");
            }

            start.ArgumentList.Add("--");
            foreach (string arg in options.Command)
            {
                start.ArgumentList.Add(arg);
            }
        }

        Process process = Process.Start(start) ?? throw new SysprintException(ErrorKind.Unavailable, "could not start strace");
        if (!options.InheritStdio)
        {
            process.StandardInput.Close();
            _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
            _ = process.StandardError.BaseStream.CopyToAsync(Stream.Null);
        }

        return process;
    }

    /// <summary>
    /// Opens the read end of the pipe. Opening blocks until strace opens the write end; should strace
    /// exit first (it could not start), open the write end ourselves so the reader sees the end.
    /// </summary>
    private static FileStream OpenReader(string fifo, Process strace)
    {
        Task<FileStream> open = Task.Run(() => new FileStream(fifo, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1));
        while (!open.Wait(TimeSpan.FromMilliseconds(50)))
        {
            if (strace.HasExited)
            {
                using (new FileStream(fifo, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1))
                {
                }

                break;
            }
        }

        return open.Result;
    }

    private void Interrupt(Process strace) => Interrupt(_options, strace);

    /// <summary>Cancelled: kill a started command's tree (strace then exits), or make strace detach from an attached process.</summary>
    private static void Interrupt(TraceOptions options, Process strace)
    {
        if (options.AttachPid is null)
        {
            ProcessTree.SignalDescendants(strace.Id, Posix.SigKill);
        }

        Posix.Signal(strace.Id, options.AttachPid is null ? Posix.SigKill : Posix.SigInt);
    }
}

using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace Sysprint.TestSupport;

/// <summary>
/// The real <c>sysprint</c> CLI as a child process, for commands that run programs on the terminal
/// and for an agent stopped with SIGTERM or killed with SIGKILL. The process is sysprint itself (no
/// shell between), so a signal reaches it. Which CLI: <c>sysprint.dll</c> built beside the tests
/// when the test project references the CLI, else the one <c>./sysprint</c> builds into
/// <c>.build/cli</c> (once per test run; the first call may take minutes).
/// </summary>
public sealed partial class SysprintProcess : IDisposable
{
    /// <summary>SIGKILL.</summary>
    public const int SigKill = 9;

    /// <summary>SIGTERM.</summary>
    public const int SigTerm = 15;

    private static readonly Lazy<string> s_launched = new(BuildWithLauncher, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _error = new();
    private readonly TaskCompletionSource _outClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errorClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SysprintProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(_out, e.Data, _outClosed);
        _process.ErrorDataReceived += (_, e) => Append(_error, e.Data, _errorClosed);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once exited (128 + N for a signal N).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Standard output so far, lines ended by <c>\n</c>.</summary>
    public string Out
    {
        get
        {
            lock (_out)
            {
                return _out.ToString();
            }
        }
    }

    /// <summary>Standard error so far, lines ended by <c>\n</c>.</summary>
    public string Error
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    /// <summary>Starts <c>sysprint ARGS</c> as <see cref="Start(IEnumerable{string}, IReadOnlyDictionary{string, string}?, IReadOnlyList{string}?)"/> does.</summary>
    public static SysprintProcess Start(params string[] args) => Start(args, environment: null);

    /// <summary>
    /// Starts <c>sysprint ARGS</c> with stdin closed, <c>LC_ALL=C</c>, host name <c>dom0-test</c>, and
    /// none of the developer's <c>SYSPRINT_DB</c>, <c>SYSPRINT_BUSY_TIMEOUT</c>, <c>SYSPRINT_TRUST</c>,
    /// <c>SYSPRINT_ENROLL_TOKEN</c>;
    /// <paramref name="environment"/> adds to that. <paramref name="wrapper"/> is a command that runs
    /// sysprint in turn, given its path and arguments after its own (e.g. <c>setpriv --reuid=nobody --</c>).
    /// </summary>
    public static SysprintProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? wrapper = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ProcessStartInfo start = StartInfo();
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        if (wrapper is { Count: > 0 })
        {
            var wrapped = new ProcessStartInfo(wrapper[0]);
            foreach (string arg in wrapper.Skip(1).Append(start.FileName).Concat(start.ArgumentList))
            {
                wrapped.ArgumentList.Add(arg);
            }

            start = wrapped;
        }

        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.Environment["SYSPRINT_HOSTNAME"] = "dom0-test";
        start.Environment["LC_ALL"] = "C";
        start.Environment.Remove("SYSPRINT_DB");
        start.Environment.Remove("SYSPRINT_BUSY_TIMEOUT");
        start.Environment.Remove("SYSPRINT_TRUST");
        start.Environment.Remove("SYSPRINT_ENROLL_TOKEN");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {start.FileName}");
        process.StandardInput.Close();
        return new SysprintProcess(process);
    }

    /// <summary>Runs to the end (at most <paramref name="seconds"/>, else the test fails) and returns the exit code and output.</summary>
    public static (int Exit, string Out, string Error) Run(IEnumerable<string> args, double seconds = 120,
        IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? wrapper = null)
    {
        using SysprintProcess process = Start(args, environment, wrapper);
        int exit = process.WaitForExit(seconds);
        return (exit, process.Out, process.Error);
    }

    /// <summary>Runs to the end (a hang past <paramref name="timeout"/> fails the test).</summary>
    public static async Task<(int Exit, string Out, string Error)> RunAsync(TimeSpan timeout, params string[] args)
    {
        using SysprintProcess process = Start(args);
        int exit = await process.WaitForExitAsync(timeout);
        return (exit, process.Out, process.Error);
    }

    /// <summary>Waits for the end and for all its output; kills it and fails the test after <paramref name="seconds"/>.</summary>
    public int WaitForExit(double seconds = 120)
    {
        if (!_process.WaitForExit(TimeSpan.FromSeconds(seconds)))
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"sysprint did not finish within {seconds} s:\n{Out}\n{Error}");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Waits for the end and for all its output; kills it and fails the test after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
            await Task.WhenAll(_outClosed.Task, _errorClosed.Task).WaitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"sysprint did not finish within {timeout.TotalSeconds} s:\n{Out}\n{Error}");
        }

        return _process.ExitCode;
    }

    /// <summary>
    /// Waits until standard error holds <paramref name="text"/> (a start-up line, say); fails the
    /// test if the process exits first or <paramref name="timeout"/> passes.
    /// </summary>
    public async Task WaitForErrorAsync(string text, TimeSpan timeout)
    {
        var wait = Stopwatch.StartNew();
        while (!Error.Contains(text, StringComparison.Ordinal))
        {
            Assert.False(_errorClosed.Task.IsCompleted, $"sysprint ended its output before it wrote '{text}':\n{Error}");
            Assert.True(wait.Elapsed < timeout, $"sysprint did not write '{text}' within {timeout.TotalSeconds} s:\n{Error}");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Sends <paramref name="signal"/> to the sysprint process itself (SIGKILL: no chance to clean up).</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            // ESRCH: it has exited (and may not be reaped yet); the caller's wait tells.
            Assert.True(errno == 3, $"kill({_process.Id}, {signal}) failed: errno {errno}");
        }
    }

    /// <summary>Kills the process and its children (SIGKILL: no chance to clean up, as in a crash) and waits for the end.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private static void Append(StringBuilder text, string? line, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }

        lock (text)
        {
            text.Append(line).Append('\n');
        }
    }

    private static ProcessStartInfo StartInfo()
    {
        string directory = AppContext.BaseDirectory;
        string dll = Path.Combine(directory, "sysprint.dll");
        if (!File.Exists(dll))
        {
            return new ProcessStartInfo(s_launched.Value);
        }

        // The tests' own deps file: sysprint.deps.json is written for the CLI's runtime-specific
        // (ReadyToRun) build and misplaces native SQLite for this output folder.
        string tests = Assembly.GetEntryAssembly()?.GetName().Name
            ?? throw new InvalidOperationException("no entry assembly to take the deps file of");
        var start = new ProcessStartInfo("dotnet");
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add("--depsfile");
        start.ArgumentList.Add(Path.Combine(directory, tests + ".deps.json"));
        start.ArgumentList.Add("--runtimeconfig");
        start.ArgumentList.Add(Path.Combine(directory, "sysprint.runtimeconfig.json"));
        start.ArgumentList.Add(dll);
        return start;
    }

    /// <summary><c>./sysprint --version</c> builds the CLI (Release) into <c>.build/cli</c>; its path.</summary>
    private static string BuildWithLauncher()
    {
        string root = Repository.Root();
        var start = new ProcessStartInfo(Path.Combine(root, "sysprint"), ["--version"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process launcher = Process.Start(start) ?? throw new InvalidOperationException("cannot start ./sysprint");
        Task<string> stderr = launcher.StandardError.ReadToEndAsync();
        launcher.StandardOutput.ReadToEnd();
        if (!launcher.WaitForExit(TimeSpan.FromMinutes(15)))
        {
            launcher.Kill(entireProcessTree: true);
            throw new InvalidOperationException("./sysprint did not build the CLI within 15 minutes");
        }

        string executable = Path.Combine(root, ".build", "cli", "sysprint");
        if (launcher.ExitCode != 0 || !File.Exists(executable))
        {
            throw new InvalidOperationException($"./sysprint --version failed (exit {launcher.ExitCode}): {stderr.Result}");
        }

        return executable;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

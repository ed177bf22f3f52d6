using System.Diagnostics;
using System.Text;

namespace Sysprint.Agent.Tests.Support;

/// <summary>
/// The real <c>sysprint</c> CLI as a child process (<c>dotnet sysprint.dll</c>, built beside the
/// tests): for commands that run programs on the terminal, and for an agent killed with SIGKILL.
/// </summary>
internal sealed class SysprintProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _error = new();

    private SysprintProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_out)
                {
                    _out.Append(e.Data).Append('\n');
                }
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_error)
                {
                    _error.Append(e.Data).Append('\n');
                }
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

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

    public static SysprintProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The tests' own deps file: sysprint.deps.json is written for the CLI's runtime-specific
        // (ReadyToRun) build and misplaces native SQLite for this output folder.
        string directory = AppContext.BaseDirectory;
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add("--depsfile");
        start.ArgumentList.Add(Path.Combine(directory, "Sysprint.Agent.Tests.deps.json"));
        start.ArgumentList.Add("--runtimeconfig");
        start.ArgumentList.Add(Path.Combine(directory, "sysprint.runtimeconfig.json"));
        start.ArgumentList.Add(Path.Combine(directory, "sysprint.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["SYSPRINT_HOSTNAME"] = "dom0-test";
        start.Environment["LC_ALL"] = "C";
        start.Environment.Remove("SYSPRINT_DB");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        Process process = Process.Start(start)!;
        process.StandardInput.Close();
        return new SysprintProcess(process);
    }

    /// <summary>Runs to the end (at most <paramref name="seconds"/>) and returns the exit code and output.</summary>
    public static (int Exit, string Out, string Error) Run(IEnumerable<string> args, double seconds = 60, IReadOnlyDictionary<string, string>? environment = null)
    {
        using SysprintProcess process = Start(args, environment);
        int exit = process.WaitForExit(seconds);
        return (exit, process.Out, process.Error);
    }

    public int WaitForExit(double seconds = 60)
    {
        if (!_process.WaitForExit(TimeSpan.FromSeconds(seconds)))
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"sysprint did not finish within {seconds} s:\n{Out}\n{Error}");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Sends a signal to the sysprint process itself (SIGKILL: no chance to clean up).</summary>
    public void Signal(int signal) => Sysprint.Agent.Tracing.Posix.Signal(_process.Id, signal);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}

using System.Diagnostics;
using System.Text;

namespace Sysprint.Fleet.Tests.Support;

/// <summary>
/// The real <c>sysprint</c> CLI as a child process (<c>dotnet sysprint.dll</c>, built beside the
/// tests), for the agent (<c>watch --server</c>) talking to a real server.
/// </summary>
/// <remarks>A copy of Sysprint.Agent.Tests' helper; a shared test-support project should hold one.</remarks>
internal sealed class SysprintProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _error = new();

    private SysprintProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(_out, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_error, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    public string Out => Read(_out);

    public string Error => Read(_error);

    public static SysprintProcess Start(params string[] args) => StartWith(null, args);

    /// <summary>Starts it with these environment variables set (e.g. <c>SYSPRINT_HOSTNAME</c>).</summary>
    public static SysprintProcess StartWith(IReadOnlyDictionary<string, string>? environment, params string[] args)
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
        start.ArgumentList.Add(Path.Combine(directory, "Sysprint.Fleet.Tests.deps.json"));
        start.ArgumentList.Add("--runtimeconfig");
        start.ArgumentList.Add(Path.Combine(directory, "sysprint.runtimeconfig.json"));
        start.ArgumentList.Add(Path.Combine(directory, "sysprint.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["LC_ALL"] = "C";
        start.Environment.Remove("SYSPRINT_DB");
        start.Environment.Remove("SYSPRINT_ENROLL_TOKEN");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        Process process = Process.Start(start)!;
        process.StandardInput.Close();
        return new SysprintProcess(process);
    }

    /// <summary>Waits for the process to end (at most <paramref name="seconds"/>); returns its exit code.</summary>
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

    /// <summary>Kills the process (SIGKILL: no chance to clean up, as in a crash).</summary>
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

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is not null)
        {
            lock (buffer)
            {
                buffer.Append(line).Append('\n');
            }
        }
    }

    private static string Read(StringBuilder buffer)
    {
        lock (buffer)
        {
            return buffer.ToString();
        }
    }
}

using System.Diagnostics;
using Sysprint.Diagnostics;

namespace Sysprint.Agent.Tracing;

/// <summary>Runs a program under strace, writing the trace to a file (argv passed as is, never through a shell).</summary>
public static class StraceCapture
{
    /// <summary>The strace executable, or an error that says how to install it.</summary>
    public static string Strace() => Executables.Find("strace") ?? throw new SysprintException(ErrorKind.Unavailable,
        "strace is not installed: install it with 'sudo apt-get install strace' (Debian/Ubuntu) or 'sudo dnf install strace'");

    /// <summary>
    /// Runs <c>strace STRACE-OPTIONS -o LOG -- PROGRAM ARGS</c> to completion and returns the
    /// program's exit code. Its stdout and stderr are discarded. Extra environment entries are set
    /// for the traced program (e.g. <c>LD_PRELOAD</c>).
    /// </summary>
    public static int Run(string log, IEnumerable<string> straceOptions, IEnumerable<string> command,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(straceOptions);
        ArgumentNullException.ThrowIfNull(command);
        var start = new ProcessStartInfo(Strace())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string option in straceOptions)
        {
            start.ArgumentList.Add(option);
        }

        start.ArgumentList.Add("-o");
        start.ArgumentList.Add(log);
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                // strace's own -E sets the variable for the traced program only, not for strace.
                start.ArgumentList.Add("-E");
                start.ArgumentList.Add($"{key}={value}");
            }
        }

        start.ArgumentList.Add("--");
        foreach (string arg in command)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start) ?? throw new SysprintException(ErrorKind.Unavailable, "could not start strace");
        process.StandardInput.Close();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new SysprintException(ErrorKind.Unavailable, $"strace did not finish in time: {string.Join(' ', command)}");
        }

        Task.WaitAll(stderr, stdout);
        string error = stderr.Result;
        if (error.StartsWith("strace: ", StringComparison.Ordinal) && !File.Exists(log))
        {
            throw new SysprintException(ErrorKind.Unavailable, $"strace failed: {error.Trim()}");
        }

        return process.ExitCode;
    }
}

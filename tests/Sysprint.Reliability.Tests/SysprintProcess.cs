using System.Diagnostics;

namespace Sysprint.Reliability.Tests;

/// <summary>
/// The real CLI as a process: <c>./sysprint</c> builds it once (Release) into <c>.build/cli</c>,
/// then the built executable runs directly, so a kill reaches sysprint itself and not a shell.
/// </summary>
internal static class SysprintProcess
{
    private static readonly Lazy<string> s_executable = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The built CLI; the first call may take minutes (the launcher builds it).</summary>
    public static string Executable => s_executable.Value;

    public static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("SYSPRINT_DB");
        start.Environment.Remove("SYSPRINT_BUSY_TIMEOUT");
        start.Environment.Remove("SYSPRINT_TRUST");
        return Process.Start(start) ?? throw new InvalidOperationException($"cannot start {Executable}");
    }

    /// <summary>Runs to the end (a hang past <paramref name="timeout"/> fails the test).</summary>
    public static async Task<(int Exit, string Out, string Error)> RunAsync(TimeSpan timeout, params string[] args)
    {
        using Process process = Start(args);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"sysprint {string.Join(' ', args)} did not finish within {timeout.TotalSeconds} s");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    private static string Build()
    {
        string root = RepositoryRoot();
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

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sysprint.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Sysprint.slnx above {AppContext.BaseDirectory}");
    }
}

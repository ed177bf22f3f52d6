using System.Diagnostics;
using Sysprint.Cli.Tests.Support;

namespace Sysprint.Cli.Tests;

/// <summary>
/// The real <c>./sysprint</c> launcher at the repository root, run as a process from another
/// directory. Slow the first time: it may build the CLI (Release).
/// </summary>
[Trait("Speed", "slow")]
public sealed class LauncherTests : IDisposable
{
    // Generous: the launcher may build the CLI first, which took over 3 minutes on a loaded 2-core machine.
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(15);

    private readonly CliSandbox _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Launcher_from_another_directory_passes_exit_1_and_stdout_straight_through()
    {
        string launcher = Path.Combine(Repository.Root(), "sysprint");
        _cli.Write("logs/normal.strace", Logs.Normal);
        _cli.Write("logs/injected.strace", Logs.Normal.Replace(
            "100   read(", "100   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4\n100   read(", StringComparison.Ordinal));
        _cli.RunOk("train", "--db", _cli.Db("store.db"), _cli.PathOf("logs/normal.strace"));

        (int exit, string stdout, string stderr) = await Launch(launcher, "check", "--db", "store.db", "--vm", "web-01", "logs/injected.strace");

        Assert.True(exit == 1, $"exit {exit}\n--- stdout\n{stdout}--- stderr\n{stderr}");
        Assert.Equal(
            """
            ANOMALOUS  logs/injected.strace  2 mismatches (2 distinct) in 4 syscalls, profile 'default'
                line 2  pid 100  openat(257) → socket(41)
                line 3  pid 100  socket(41) → read(0)

            """, stdout);
        Assert.DoesNotContain("error", stderr, StringComparison.Ordinal);
        // The alert names the log by its full path, so it still means something read from elsewhere.
        Assert.Contains($"vm web-01  log {_cli.PathOf("logs/injected.strace")}  ", _cli.RunOk("alerts", "--db", _cli.Db("store.db")).Out, StringComparison.Ordinal);
    }

    private async Task<(int Exit, string Out, string Error)> Launch(string launcher, params string[] args)
    {
        var start = new ProcessStartInfo(launcher)
        {
            WorkingDirectory = _cli.Root,
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
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(s_timeout);
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {launcher}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        Task<string> stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}

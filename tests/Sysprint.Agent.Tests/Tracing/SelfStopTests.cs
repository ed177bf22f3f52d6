using System.Diagnostics;
using System.Globalization;
using Sysprint.Agent.Tracing;

namespace Sysprint.Agent.Tests.Tracing;

/// <summary>
/// A program that stops itself behaves under the native tracer as it does untraced: the process
/// stays stopped (its parent sees it stopped), and goes on where it was once an administrator sends
/// SIGCONT. The program: python3 forks <c>sh -c 'kill -STOP $$; echo resumed; exit 3'</c>, waits
/// for it to stop (<c>waitpid(WUNTRACED)</c>), reports its pid in a file the test waits for, then
/// waits for its end.
/// </summary>
[Trait("Speed", "slow")]
public sealed class SelfStopTests : IDisposable
{
    private const string Program = """
        import os, sys
        pid = os.fork()
        if pid == 0:
            os.execv("/bin/sh", ["sh", "-c", "kill -STOP $$; echo resumed; exit 3"])
        _, status = os.waitpid(pid, os.WUNTRACED)
        print("stopped by signal", os.WSTOPSIG(status) if os.WIFSTOPPED(status) else "none", flush=True)
        with open(sys.argv[1] + ".part", "w") as f:
            f.write(str(pid))
        os.rename(sys.argv[1] + ".part", sys.argv[1])
        _, status = os.waitpid(pid, 0)
        print("exited with", os.WEXITSTATUS(status) if os.WIFEXITED(status) else "a signal", flush=True)
        """;

    private const string Expected = "stopped by signal 19\nresumed\nexited with 3\n";

    private readonly TempDir _dir = new();

    public SelfStopTests()
    {
        Assert.True(Tracers.NativeSupported, "the native tracer runs on Linux x86_64");
        Assert.True(File.Exists("/usr/bin/python3"), "python3 is installed");
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Untraced_the_program_stops_and_goes_on_once_continued()
    {
        string marker = _dir.PathOf("untraced.pid");
        var start = new ProcessStartInfo("/usr/bin/python3") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (string arg in (string[])["-S", "-c", Program, marker])
        {
            start.ArgumentList.Add(arg);
        }

        using Process program = Process.Start(start)!;
        Task<string> output = program.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Continue(marker);
        string text = await output.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        Assert.True(program.WaitForExit(TimeSpan.FromSeconds(60)), "the program ended");

        Assert.Equal(Expected, text);
        Assert.Equal(0, program.ExitCode);
    }

    [Theory]
    [InlineData("open")] // two stops per call
    [InlineData("closed")] // one stop per call (the seccomp filter)
    public void Traced_the_program_stops_and_goes_on_once_continued_as_untraced(string fail)
    {
        string marker = _dir.PathOf($"traced-{fail}.pid");
        using SysprintProcess run = SysprintProcess.Start(
            ["run", "--db", _dir.PathOf("stop.db"), "--learn", "--fail", fail, "--", "/usr/bin/python3", "-S", "-c", Program, marker]);

        Continue(marker);
        int exit = run.WaitForExit();

        Assert.True(exit == 0, run.Out + run.Error);
        Assert.StartsWith(Expected + "learnt   run: /usr/bin/python3 -S -c ", run.Out, StringComparison.Ordinal);
        Assert.EndsWith("; exit status 0\n", run.Out, StringComparison.Ordinal);
    }

    /// <summary>Once the program reports its child stopped: the child is stopped still (no SIGCONT from anywhere else), and is sent one.</summary>
    private static void Continue(string marker)
    {
        Eventually.True(() => File.Exists(marker), "the program saw its child stop");
        int pid = int.Parse(File.ReadAllText(marker), NumberStyles.None, CultureInfo.InvariantCulture);
        Assert.True(ProcessTree.StateOf(pid) is 'T' or 't', $"pid {pid} is stopped");
        Assert.True(Posix.Signal(pid, Posix.SigCont), $"SIGCONT to {pid}");
    }
}

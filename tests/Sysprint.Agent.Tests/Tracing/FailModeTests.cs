using System.Globalization;
using Sysprint.Agent.Tracing;

namespace Sysprint.Agent.Tests.Tracing;

/// <summary>
/// What happens to a traced program when <c>sysprint run</c> or <c>attach</c> itself dies (SIGKILL: no
/// chance to clean up): failing closed, the program dies with it; failing open, it goes on, no longer
/// traced. The defaults: run fails closed; attach fails open but for kill and deny. A real
/// <c>sleep 600</c> under the native tracer, a real SIGKILL.
/// </summary>
[Trait("Speed", "slow")]
public sealed class FailModeTests : IDisposable
{
    private readonly TempDir _dir = new();

    public FailModeTests()
    {
        Assert.True(Tracers.NativeSupported, "the native tracer runs on Linux x86_64");
    }

    private string Db => _dir.PathOf("fail.db");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("kill", null, true)] // run's default for every action: closed
    [InlineData("deny", null, true)]
    [InlineData("alert", null, true)]
    [InlineData("stop", null, true)]
    [InlineData("alert", "open", false)]
    [InlineData("kill", "open", false)]
    public void When_sysprint_dies_the_traced_program_dies_with_it_only_when_failing_closed(string onAnomaly, string? fail, bool dies)
    {
        Learn();
        string[] args = ["run", "--db", Db, "--tracer", "native", "--on-anomaly", onAnomaly, .. Fail(fail), "--", "sh", "-c", Sleep("600")];
        int sleeper = 0;
        try
        {
            using (SysprintProcess run = SysprintProcess.Start(args))
            {
                // The program runs, traced by sysprint, once its exec is done.
                Eventually.True(() => (sleeper = TracedSleep(run.Id)) != 0 || run.HasExited, "sleep 600 traced by sysprint run");
                KillSysprint(run);
            }

            AssertFate(sleeper, dies);
        }
        finally
        {
            if (sleeper != 0 && Alive(sleeper))
            {
                System.Diagnostics.Process.GetProcessById(sleeper).Kill();
            }
        }
    }

    [Theory]
    [InlineData("alert", null, false)] // attach's default for alert and stop: open (the process ran before sysprint)
    [InlineData("stop", null, false)]
    [InlineData("kill", null, true)] // and for kill and deny: closed
    [InlineData("deny", null, true)]
    [InlineData("alert", "closed", true)]
    public void When_sysprint_dies_an_attached_process_dies_with_it_only_when_failing_closed(string onAnomaly, string? fail, bool dies)
    {
        Learn();
        using var sleeper = System.Diagnostics.Process.Start("sh", ["-c", Sleep("600")]);
        try
        {
            string[] args = ["attach", "--db", Db, "--on-anomaly", onAnomaly, .. Fail(fail), sleeper.Id.ToString(CultureInfo.InvariantCulture)];
            using (SysprintProcess attach = SysprintProcess.Start(args))
            {
                Eventually.True(() => TracedSleep(attach.Id) == sleeper.Id || attach.HasExited, $"sleep ({sleeper.Id}) traced by sysprint attach");
                KillSysprint(attach);
            }

            AssertFate(sleeper.Id, dies);
        }
        finally
        {
            if (!sleeper.HasExited)
            {
                sleeper.Kill();
            }

            sleeper.WaitForExit();
        }
    }

    private void Learn()
    {
        var (learnt, output, error) = SysprintProcess.Run(["run", "--db", Db, "--learn", "--", "sh", "-c", Sleep("0.01")]);
        Assert.True(learnt == 0, output + error);
    }

    private static string[] Fail(string? fail) => fail is null ? [] : ["--fail", fail];

    private static void KillSysprint(SysprintProcess sysprint)
    {
        Assert.False(sysprint.HasExited, $"sysprint ended early: {sysprint.Error}");
        sysprint.Signal(SysprintProcess.SigKill);
        Assert.Equal(128 + SysprintProcess.SigKill, sysprint.WaitForExit());
    }

    private static void AssertFate(int sleeper, bool dies)
    {
        if (dies)
        {
            Eventually.True(() => !Alive(sleeper), $"sleep ({sleeper}) killed with the tracer");
        }
        else
        {
            // The kernel detaches the tracees of a tracer that exits without PTRACE_O_EXITKILL.
            Eventually.True(() => TracerOf(sleeper) == 0, $"sleep ({sleeper}) no longer traced");
            Assert.True(Alive(sleeper), $"sleep ({sleeper}) died with the tracer although failing open");
        }
    }

    /// <summary>
    /// sleep with its standard streams away from sysprint's: a program that outlives sysprint must not
    /// hold the test's pipes open.
    /// </summary>
    private static string Sleep(string seconds) => $"exec sleep {seconds} </dev/null >/dev/null 2>&1";

    /// <summary>The pid of a <c>sleep</c> whose tracer is <paramref name="tracer"/>, or 0.</summary>
    private static int TracedSleep(int tracer)
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                && Read($"{dir}/comm")?.Trim() == "sleep" && TracerOf(pid) is > 0 and int thread && ThreadGroupOf(thread) == tracer)
            {
                return pid;
            }
        }

        return 0;
    }

    /// <summary>The process a thread belongs to (TracerPid names the tracing thread, not its process), or -1.</summary>
    private static int ThreadGroupOf(int tid)
    {
        foreach (string line in (Read($"/proc/{tid}/status") ?? "").Split('\n'))
        {
            if (line.StartsWith("Tgid:", StringComparison.Ordinal))
            {
                return int.Parse(line.AsSpan("Tgid:".Length).Trim(), CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }

    /// <summary>TracerPid from /proc/PID/status (0: not traced), or -1 when the process is gone.</summary>
    private static int TracerOf(int pid)
    {
        string? status = Read($"/proc/{pid}/status");
        if (status is null)
        {
            return -1;
        }

        foreach (string line in status.Split('\n'))
        {
            if (line.StartsWith("TracerPid:", StringComparison.Ordinal))
            {
                return int.Parse(line.AsSpan("TracerPid:".Length).Trim(), CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }

    /// <summary>True while the process exists and is not a zombie (a container's init may never reap it).</summary>
    private static bool Alive(int pid)
    {
        string? stat = Read($"/proc/{pid}/stat");
        if (stat is null)
        {
            return false;
        }

        // "pid (comm) S ...": the state follows the last ')'.
        int close = stat.LastIndexOf(')');
        return close > 0 && close + 2 < stat.Length && stat[close + 2] is not ('Z' or 'X');
    }

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

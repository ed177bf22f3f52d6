using System.Diagnostics;
using System.Globalization;
using Sysprint.Agent.Tracing;

namespace Sysprint.Agent.Tests.Tracing;

/// <summary>
/// <c>attach</c> without the right to trace ends with exit 69 and says why and what to do: run as a
/// user (nobody, through setpriv) against root's process; run as root without CAP_SYS_PTRACE (dropped
/// from the bounding set); against a process strace traces already. Real processes, a real refusal
/// by the kernel. (Yama's ptrace_scope is not tested: this kernel has no Yama.)
/// </summary>
[Trait("Speed", "slow")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TracePermissionTests : IDisposable
{
    private const string Fix = "; run sysprint as root, or give it CAP_SYS_PTRACE ('sudo setcap cap_sys_ptrace+ep' on the published sysprint binary, "
        + "AmbientCapabilities=CAP_SYS_PTRACE in its systemd unit, --cap-add SYS_PTRACE for a container)\n";

    private readonly TempDir _dir = new();
    private readonly List<Process> _started = [];

    public TracePermissionTests()
    {
        Assert.True(Tracers.NativeSupported, "the native tracer runs on Linux x86_64");
        Assert.NotNull(Executables.Find("setpriv"));
    }

    /// <summary>The tests take rights away from root (as .ci/run runs them).</summary>
    private static void RequireRoot() => Assert.SkipUnless(Environment.UserName == "root", "needs root, to take rights away from it");

    /// <summary>A store any user may open (the test's folder is its creator's only).</summary>
    private string Db
    {
        get
        {
            string folder = _dir.PathOf("shared");
            string db = Path.Combine(folder, "perm.db");
            if (!File.Exists(db))
            {
                Directory.CreateDirectory(folder);
                var (exit, output, error) = SysprintProcess.Run(["run", "--db", db, "--learn", "--", "true"]);
                Assert.True(exit == 0, output + error);
                File.SetUnixFileMode(_dir.Root, (UnixFileMode)0b111_101_101);
                File.SetUnixFileMode(folder, (UnixFileMode)0b111_111_111);
                File.SetUnixFileMode(db, (UnixFileMode)0b110_110_110);
            }

            return db;
        }
    }

    public void Dispose()
    {
        foreach (Process process in _started)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            process.Dispose();
        }

        _dir.Dispose();
    }

    [Fact]
    public void Attach_as_another_user_to_roots_process_says_what_to_do()
    {
        RequireRoot();
        int target = Start("sleep", "600").Id;

        var (exit, output, error) = SysprintProcess.Run(["attach", "--db", Db, Pid(target)],
            wrapper: ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]);

        Assert.Equal(69, exit);
        Assert.Equal("", output);
        Assert.Equal($"sysprint: error: the native tracer may not trace process {Pid(target)} (ptrace: Operation not permitted): "
            + "sysprint runs as user nobody without CAP_SYS_PTRACE, and the process belongs to another user or holds capabilities sysprint lacks" + Fix, error);
    }

    [Fact]
    public void Attach_as_root_without_CAP_SYS_PTRACE_says_what_to_do()
    {
        RequireRoot();
        int target = Start("sleep", "600").Id;

        // Root, every capability but CAP_SYS_PTRACE: the target holds capabilities sysprint lacks.
        var (exit, output, error) = SysprintProcess.Run(["attach", "--db", Db, Pid(target)],
            wrapper: ["setpriv", "--bounding-set=-sys_ptrace", "--inh-caps=-sys_ptrace", "--"]);

        Assert.Equal(69, exit);
        Assert.Equal("", output);
        Assert.Equal($"sysprint: error: the native tracer may not trace process {Pid(target)} (ptrace: Operation not permitted): "
            + "sysprint runs as user root without CAP_SYS_PTRACE, and the process belongs to another user or holds capabilities sysprint lacks" + Fix, error);
    }

    [Fact]
    public void Attach_to_a_process_traced_already_names_its_tracer()
    {
        RequireRoot();
        Process strace = Start("strace", "-f", "-o", "/dev/null", "--", "sleep", "600");
        int target = 0;
        Eventually.True(() => (target = TracedChild(strace.Id)) != 0, "sleep traced by strace");

        var (exit, output, error) = SysprintProcess.Run(["attach", "--db", Db, Pid(target)]);

        Assert.Equal(69, exit);
        Assert.Equal("", output);
        Assert.Equal($"sysprint: error: the native tracer may not trace process {Pid(target)} (ptrace: Operation not permitted): "
            + $"it is traced already, by process {Pid(strace.Id)} (strace), and a process has one tracer at a time: end that tracer first\n", error);
    }

    [Fact]
    public void A_run_as_another_user_gets_one_stop_per_call_too()
    {
        RequireRoot();
        string db = Db;
        string log = Path.Combine(Path.GetDirectoryName(db)!, "nobody.strace");

        // Without CAP_SYS_ADMIN, seccomp(2) refuses a filter unless no_new_privs is set: the tracer sets it first.
        var (exit, output, error) = SysprintProcess.Run(["run", "--db", db, "--learn", "--fail", "closed", "--log", log, "--", "cat", "/etc/hostname"],
            wrapper: ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]);

        Assert.True(exit == 0, output + error);
        List<string> calls = [.. File.ReadLines(log).Where(l => l.Contains(") = ", StringComparison.Ordinal))];
        Assert.True(calls.Count > 10, string.Join('\n', calls));
        Assert.All(calls.Skip(1), l => Assert.EndsWith(") = ?", l, StringComparison.Ordinal));
    }

    private Process Start(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardInput = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Process process = Process.Start(start)!;
        _started.Add(process);
        return process;
    }

    /// <summary>A child of <paramref name="tracer"/> that it traces (its exec done: it runs sleep), or 0.</summary>
    private static int TracedChild(int tracer)
    {
        foreach (int pid in ProcessTree.Descendants(tracer))
        {
            if (ProcessTree.ProgramOf(pid) == "sleep" && TracerOf(pid) == tracer)
            {
                return pid;
            }
        }

        return 0;
    }

    private static int TracerOf(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{Pid(pid)}/status"))
            {
                if (line.StartsWith("TracerPid:", StringComparison.Ordinal))
                {
                    return int.Parse(line.AsSpan(10).Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    private static string Pid(int pid) => pid.ToString(CultureInfo.InvariantCulture);
}

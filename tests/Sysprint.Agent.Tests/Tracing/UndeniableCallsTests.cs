using System.Text.RegularExpressions;

namespace Sysprint.Agent.Tests.Tracing;

/// <summary>
/// Under <c>--on-anomaly deny</c>, the calls a program cannot survive failing run all the same
/// (their alerts are raised): a failed exit_group returns into code with nothing after it, a
/// failed rt_sigreturn into the signal trampoline, and glibc's <c>_exit</c> then crashes
/// (SIGSEGV). Real programs compiled here, run by the real CLI, in both tracing modes.
/// </summary>
[Trait("Speed", "slow")]
public sealed partial class UndeniableCallsTests : IDisposable
{
    /// <summary>No C library: every call after the exec is the program's own, so a profile can fit none of them.</summary>
    private const string Bare = """
        static long call(long number, long a, long b, long c)
        {
            long result;
            __asm__ volatile ("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
            return result;
        }

        void _start(void)
        {
            long written = call(1, 1, (long)"written\n", 8); /* write */
            long pid = call(39, 0, 0, 0); /* getpid */
            call(231, written == -1 && pid == -1 ? 3 : 4, 0, 0); /* exit_group: 3 when both were denied with EPERM */
            call(60, 5, 0, 0); /* exit, had exit_group failed */
            __builtin_trap();
        }
        """;

    /// <summary>
    /// Learnt without an argument (a signal handled, exit 0); with one, the handler and main each make
    /// a call never seen (getppid) just before rt_sigreturn and exit_group, which makes both anomalous.
    /// </summary>
    private const string Signalled = """
        #include <errno.h>
        #include <signal.h>
        #include <string.h>
        #include <unistd.h>
        #include <sys/syscall.h>

        static volatile sig_atomic_t deviate;
        static volatile long in_handler;

        static void on_usr1(int signal)
        {
            (void)signal;
            if (deviate)
                in_handler = syscall(SYS_getppid);
        }

        int main(int argc, char **argv)
        {
            (void)argv;
            deviate = argc > 1;
            struct sigaction action;
            memset(&action, 0, sizeof action);
            action.sa_handler = on_usr1;
            sigaction(SIGUSR1, &action, NULL);
            raise(SIGUSR1);
            if (!deviate)
                return 0;
            long after = syscall(SYS_getppid);
            _exit(in_handler == -1 && after == -1 && errno == EPERM ? 5 : 6);
        }
        """;

    private readonly TempDir _dir = new();

    public UndeniableCallsTests()
    {
        Assert.NotNull(Sysprint.Agent.Tracing.Executables.Find("cc"));
        Assert.True(Sysprint.Agent.Tracing.Tracers.NativeSupported, "the native tracer runs on Linux x86_64");
    }

    private string Db => _dir.PathOf("undeniable.db");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("closed")] // run's default: one stop per call
    [InlineData("open")] // two stops per call
    public void A_program_whose_every_call_is_denied_still_exits_with_its_own_status(string fail)
    {
        string bare = CProgram.Build(_dir, "bare", Bare, "-static", "-nostdlib", "-fno-stack-protector", "-O1");
        Learn("true");
        string log = _dir.PathOf("bare.strace");

        var (exit, output, error) = SysprintProcess.Run(
            ["run", "--db", Db, "-q", "--on-anomaly", "deny", "--fail", fail, "--log", log, "--", bare]);

        // 3: write and getpid returned EPERM, exit_group ran (denied, the program would end by SIGILL, 132).
        Assert.True(exit == 1, output + error);
        Assert.Contains("; exit status 3\n", output, StringComparison.Ordinal);
        Assert.Contains("getpid(39) → exit_group(231)\n", output, StringComparison.Ordinal);
        Assert.Contains("\n    denied 2 calls: they returned EPERM without running\n", output, StringComparison.Ordinal);
        Assert.Contains("\n    let 1 anomalous call run: exit, exit_group, rt_sigreturn and restart_syscall are never denied (the program would crash, not get an error)\n",
            output, StringComparison.Ordinal);
        string[] calls = Calls(log);
        Assert.Equal(["execve", "write EPERM", "getpid EPERM", "exit_group"], calls);
        Assert.EndsWith("+++ exited with 3 +++", File.ReadLines(log).Last(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("closed")]
    [InlineData("open")]
    public void A_denied_signal_handler_returns_and_the_program_exits_with_its_own_status(string fail)
    {
        string program = CProgram.Build(_dir, "signalled", Signalled, "-O1");
        Learn(program);
        Learn(program);
        string log = _dir.PathOf("signalled.strace");
        string alerts = _dir.PathOf("alerts.jsonl");

        var (exit, output, error) = SysprintProcess.Run(
            ["run", "--db", Db, "-q", "--on-anomaly", "deny", "--fail", fail, "--log", log, "--alerts-jsonl", alerts, "--", program, "deviate"]);

        // 5: both getppid calls returned EPERM; the handler returned (rt_sigreturn ran) and exit_group ran.
        Assert.True(exit == 1, output + error);
        Assert.Contains("; exit status 5\n", output, StringComparison.Ordinal);
        Assert.Contains("getppid(110) → rt_sigreturn(15)\n", output, StringComparison.Ordinal);
        Assert.Contains("getppid(110) → exit_group(231)\n", output, StringComparison.Ordinal);
        Assert.Contains("\n    let 2 anomalous calls run: ", output, StringComparison.Ordinal);
        string[] calls = Calls(log);
        Assert.Equal(["getppid EPERM", "rt_sigreturn", "getppid EPERM", "exit_group"],
            calls.SkipWhile(c => !c.StartsWith("getppid", StringComparison.Ordinal)).Where(c => c is not "rt_sigprocmask" and not "rt_sigprocmask EPERM"));
        Assert.EndsWith("+++ exited with 5 +++", File.ReadLines(log).Last(), StringComparison.Ordinal);

        // The alerts name the calls that ran as well as the denied ones.
        string raised = File.ReadAllText(alerts);
        Assert.Contains("rt_sigreturn", raised, StringComparison.Ordinal);
        Assert.Contains("exit_group", raised, StringComparison.Ordinal);
    }

    private void Learn(params string[] command)
    {
        var (exit, output, error) = SysprintProcess.Run(["run", "--db", Db, "--learn", "--", .. command]);
        Assert.True(exit == 0, output + error);
    }

    /// <summary>The log's calls in order, each as its name, and <c>EPERM</c> when it returned that.</summary>
    private static string[] Calls(string log) => File.ReadLines(log)
        .Select(l => CallLine().Match(l))
        .Where(m => m.Success)
        .Select(m => m.Groups[1].Value + (m.Value.EndsWith(" = -1 EPERM (Operation not permitted)", StringComparison.Ordinal) ? " EPERM" : ""))
        .ToArray();

    [GeneratedRegex(@"^\d+ +\d+\.\d{6} ([a-z_0-9]+)\(.*$")]
    private static partial Regex CallLine();
}

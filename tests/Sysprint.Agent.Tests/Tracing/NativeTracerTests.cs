using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Sysprint.Agent.Live;
using Sysprint.Agent.Tests.Support;
using Sysprint.Agent.Tracing;
using Sysprint.Mapping;
using Sysprint.Parsing;
using Sysprint.Storage.Sqlite;

namespace Sysprint.Agent.Tests.Tracing;

/// <summary>
/// The native tracer on real programs: an injected library that connects to a real listener on
/// loopback is stopped before its connection (kill, deny), the program goes on when its call is
/// denied, and the log it keeps reads back as the calls it checked.
/// </summary>
[Trait("Speed", "slow")]
[Collection(InProcessTracer.Name)]
public sealed class NativeTracerTests : IDisposable
{
    private const int Runs = 50;

    private readonly TempDir _dir = new();
    private readonly string _file;

    public NativeTracerTests()
    {
        Assert.NotNull(Sysprint.Agent.Tracing.Executables.Find("cc"));
        Assert.True(Tracers.NativeSupported, "the native tracer runs on Linux x86_64");
        _file = _dir.PathOf("secret.txt");
        File.WriteAllText(_file, "the file's own words\n");
    }

    private string Db => _dir.PathOf("native.db");

    public void Dispose() => _dir.Dispose();

    private void Learn()
    {
        for (int i = 0; i < 3; i++)
        {
            var (exit, output, error) = SysprintProcess.Run(["run", "--db", Db, "--learn", "--", "cat", _file]);
            Assert.True(exit == 0, output + error);
        }
    }

    [Fact]
    public void An_injected_connection_never_reaches_a_real_listener_under_kill_or_deny()
    {
        Learn();
        string library = Injection.Build(_dir, "CONNECT");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(backlog: 2 * Runs + 10);
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var store = SqliteFingerprintStore.Open(Db, createIfMissing: false);
        LiveProfile profile = LiveProfile.Load(store, "default");

        // The payload does connect when the run is only alerted: the listener below can see it.
        TraceOutcome alerted = Trace(profile, AnomalyAction.Alert, library, port);
        Assert.True(alerted.Anomalous);
        Assert.Equal(1, Accepted(listener));

        var killed = new List<TraceOutcome>();
        var denied = new List<TraceOutcome>();
        for (int i = 0; i < Runs; i++)
        {
            killed.Add(Trace(profile, AnomalyAction.Kill, library, port));
            denied.Add(Trace(profile, AnomalyAction.Deny, library, port));
        }

        // connect() returns once the kernel completed the handshake: a connection made is queued by now.
        Assert.Equal(0, Accepted(listener));
        Assert.All(killed, o =>
        {
            Assert.True(o.Anomalous);
            Assert.Equal(137, o.ExitCode);
            Assert.NotEmpty(o.Signalled);
        });
        Assert.All(denied, o =>
        {
            Assert.True(o.Anomalous);
            Assert.Equal(0, o.ExitCode);
            Assert.True(o.Denied > 0);
        });
    }

    [Fact]
    public void Under_deny_the_program_goes_on_and_prints_the_file()
    {
        Learn();
        string library = Injection.Build(_dir, "CONNECT");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        string port = ((IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

        var (exit, output, error) = SysprintProcess.Run(
            ["run", "--db", Db, "-q", "--on-anomaly", "deny", "-E", "LD_PRELOAD=" + library, "-E", "INJECT_PORT=" + port, "--", "cat", _file]);

        Assert.True(exit == 1, output + error);
        Assert.StartsWith("the file's own words\nANOMALOUS  run: cat ", output, StringComparison.Ordinal);
        Assert.Contains("; exit status 0\n", output, StringComparison.Ordinal);
        Assert.Matches(@"\n    denied \d+ calls?: (it|they) returned EPERM without running\n", output);
        Assert.Equal(0, Accepted(listener));
    }

    [Theory]
    [InlineData("closed")] // run's default: one stop per call
    [InlineData("open")] // two stops per call: the result is set at the call's exit
    public void Deny_errno_sets_the_error_the_denied_call_returns(string fail)
    {
        Learn();
        string library = Injection.Build(_dir, "CONNECT");
        string log = _dir.PathOf("denied.strace");

        var (exit, output, error) = SysprintProcess.Run(
            ["run", "--db", Db, "-q", "--on-anomaly", "deny", "--deny-errno", "EACCES", "--fail", fail, "--log", log, "-E", "LD_PRELOAD=" + library, "--", "cat", _file]);

        Assert.True(exit == 1, output + error);
        Assert.Matches(@"\n    denied \d+ calls?: (it|they) returned EACCES without running\n", output);
        Assert.Contains(File.ReadLines(log), l => l.EndsWith(") = -1 EACCES (Permission denied)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("open")] // two stops per call, the call made again from its exit stop
    [InlineData("closed")] // run's default: one stop per call, set back onto the call at its seccomp stop
    public void Under_stop_the_call_waits_for_the_administrator_and_runs_once_continued(string fail)
    {
        Learn();
        string library = Injection.Build(_dir, "CONNECT");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        string port = ((IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        using var receiver = new WebhookReceiver();
        using SysprintProcess run = SysprintProcess.Start(
            ["run", "--db", Db, "-q", "--webhook", receiver.Url, "--on-anomaly", "stop", "--fail", fail,
                "-E", "LD_PRELOAD=" + library, "-E", "INJECT_PORT=" + port, "--", "cat", _file]);

        Eventually.True(() => !receiver.Received.IsEmpty, "an alert at the webhook");
        int pid = checked((int)receiver.Alerts()[0].RootElement.GetProperty("output_fields").GetProperty("proc.pid").GetInt64());

        // The alert leaves once the call is decided on, so before the payload's connect could run.
        Assert.Equal(0, Accepted(listener));

        // SIGCONT until the run ends: one sent before the tracer's SIGSTOP would not resume it.
        Eventually.True(() => run.HasExited || (ProcessTree.ParentOf(pid) == run.Id && Posix.Signal(pid, Posix.SigCont) && false), $"pid {pid} continued and done");
        int exit = run.WaitForExit();

        // Continued, the program goes on where it stopped: the payload connects (the administrator let it), cat prints the file.
        Assert.True(exit == 1, run.Out + run.Error);
        Assert.StartsWith("the file's own words\nANOMALOUS  run: cat ", run.Out, StringComparison.Ordinal);
        Assert.Contains("; exit status 0\n", run.Out, StringComparison.Ordinal);
        Assert.Contains($"    stopped the traced processes: {pid} (resume: kill -CONT {pid}; end: kill -KILL {pid})\n", run.Out, StringComparison.Ordinal);
        Assert.Equal(1, Accepted(listener));
    }

    [Fact]
    public void The_log_kept_reads_back_as_the_calls_that_were_checked()
    {
        Learn();
        string log = _dir.PathOf("clean.strace");
        using var store = SqliteFingerprintStore.Open(Db, createIfMissing: false);
        LiveProfile profile = LiveProfile.Load(store, "default");

        // The run's output goes to /dev/null, not a pipe as when learnt: cat calls differently, anomalous or not.
        TraceOutcome outcome = Trace(profile, AnomalyAction.Alert, null, 0, log);
        var check = new LiveCheck(profile, _ => { });
        LogReadResult read = LogReader.Read(log, SyscallTable.Builtin("x86_64"), new LogReadOptions(), check);

        Assert.Equal(outcome.Syscalls, read.Syscalls);
        Assert.Equal(outcome.Anomalous, check.Anomalous);
        Assert.Equal(outcome.MismatchCount, check.MismatchCount);
        Assert.Equal(outcome.Mismatches.Select(m => (m.FirstLine, m.Thread, string.Join(' ', m.Gram))),
            check.Mismatches.Select(m => (m.FirstLine, m.Thread, string.Join(' ', m.Gram))));
        Assert.Equal(outcome.Read.Lines, read.Lines);
        Assert.Equal(0, read.SkippedLines);
        Assert.Equal("cat", read.FirstProgram);
        string cat = Path.GetFullPath(Sysprint.Agent.Tracing.Executables.Find("cat")!);
        Assert.Matches($@"^\d+ +\d+\.\d{{6}} execve\(""{Regex.Escape(cat)}"", \[""cat"", ""{Regex.Escape(_file)}""\], ", File.ReadLines(log).First());
    }

    private TraceOutcome Trace(LiveProfile profile, AnomalyAction action, string? library, int port, string? log = null)
    {
        var environment = new Dictionary<string, string>();
        if (library is not null)
        {
            environment["LD_PRELOAD"] = library;
            environment["INJECT_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        }

        var options = new TraceOptions
        {
            Command = ["cat", _file],
            Environment = environment,
            OnAnomaly = action,
            InheritStdio = false,
            FailOpen = action is not (AnomalyAction.Kill or AnomalyAction.Deny),
            TraceFile = log,
        };
        var trace = new LiveTrace(options, profile, SyscallTable.Builtin("x86_64"), (_, _) => { });
        return trace.Run(TestContext.Current.CancellationToken);
    }

    /// <summary>Takes the connections waiting in the listener's queue; returns how many there were.</summary>
    private static int Accepted(TcpListener listener)
    {
        int count = 0;
        while (listener.Pending())
        {
            using TcpClient client = listener.AcceptTcpClient();
            count++;
        }

        return count;
    }
}

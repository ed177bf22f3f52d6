using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Sysprint.Agent.Tests.Support;
using Sysprint.Agent.Tracing;

namespace Sysprint.Agent.Tests.Tracing;

/// <summary>
/// <c>sysprint run</c> and <c>attach</c> on real programs, with the native tracer and with the real
/// strace (<c>--tracer strace</c>): a fingerprint learnt from clean runs, then runs with code injected
/// at load time (LD_PRELOAD) caught while they run, their alert at a webhook on loopback.
/// </summary>
[Trait("Speed", "slow")]
public sealed class RunTests : IDisposable
{
    // A shell that reads a file, then waits: the wait leaves time to see the alert arrive before the end.
    private static readonly string[] s_command = ["sh", "-c", "cat /etc/hostname; sleep 0.1"];

    private readonly TempDir _dir = new();

    public RunTests()
    {
        Assert.NotNull(Sysprint.Agent.Tracing.Executables.Find("strace"));
        Assert.NotNull(Sysprint.Agent.Tracing.Executables.Find("cc"));
    }

    private string Db => _dir.PathOf("run.db");

    public void Dispose() => _dir.Dispose();

    private void Learn(params string[] command) => LearnWith("native", command);

    private void LearnWith(string tracer, params string[] command)
    {
        for (int i = 0; i < 3; i++)
        {
            var (exit, output, error) = SysprintProcess.Run(["run", "--db", Db, "--tracer", tracer, "--learn", "--", .. command]);
            Assert.True(exit == 0, error);
            // The command's own output (the host name) comes first: it shares the terminal.
            Assert.StartsWith($"learnt   run: {string.Join(' ', command)}  ", output.Split('\n')[^2], StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("native")]
    [InlineData("strace")] // still there for hosts where only strace may trace
    public void A_clean_run_is_normal_and_reports_the_command_exit_status(string tracer)
    {
        LearnWith(tracer, s_command);

        var (exit, output, error) = SysprintProcess.Run(["run", "--db", Db, "--tracer", tracer, "--", "sh", "-c", "cat /etc/hostname; sleep 0.1; exit 3"]);

        Assert.True(exit == 0, output + error);
        Assert.Matches(@"\nnormal     run: sh -c cat /etc/hostname; sleep 0\.1; exit 3  [\d,]+ syscalls match profile 'default'; exit status 3\n$", output);
    }

    [Theory]
    [InlineData("native")]
    [InlineData("strace")] // still there for hosts where only strace may trace
    public void Injected_code_is_caught_while_the_command_runs_and_its_alert_reaches_the_webhook(string tracer)
    {
        LearnWith(tracer, s_command);
        string library = Injection.Build(_dir, "SOCKET");
        using var receiver = new WebhookReceiver();
        // The command waits until the test lets it end, which it does only once the alert has
        // arrived: the alert is live by construction, however slow the machine.
        string go = _dir.PathOf("go");
        string script = $"cat /etc/hostname; while [ ! -e {go} ]; do sleep 0.1; done";

        using var run = SysprintProcess.Start(
            ["run", "--db", Db, "--tracer", tracer, "--vm", "web-01", "--webhook", receiver.Url, "-E", "LD_PRELOAD=" + library, "--", "sh", "-c", script]);
        Eventually.True(() => !receiver.Received.IsEmpty || run.HasExited, "an alert at the webhook while the command runs", seconds: 90);
        bool ranOn = !run.HasExited;
        File.WriteAllText(go, "");
        int exit = run.WaitForExit();
        string output = run.Out, error = run.Error;

        Assert.True(ranOn, $"the run ended before any alert arrived (exit {exit}): {output}{error}");
        Assert.True(exit == 1, output + error);
        Assert.Contains($"ANOMALOUS  run: sh -c {script}  ", output, StringComparison.Ordinal);
        Assert.Contains(": Critical Unknown system-call transition ", output, StringComparison.Ordinal);
        List<JsonDocument> alerts = receiver.Alerts();
        Assert.NotEmpty(alerts);
        Assert.Contains(alerts, a => a.RootElement.GetProperty("output_fields").GetProperty("mismatch.next").GetString() == "socket");
        JsonElement first = alerts[0].RootElement;
        Assert.Equal("web-01", first.GetProperty("output_fields").GetProperty("vm.name").GetString());
        Assert.Equal("sh", first.GetProperty("output_fields").GetProperty("program").GetString());
        Assert.Equal("dom0-test", first.GetProperty("hostname").GetString());
    }

    [Fact]
    public void A_whole_run_detector_scores_the_run_when_it_ends_and_names_the_calls_it_added()
    {
        Learn(s_command);
        string library = Injection.Build(_dir, "SOCKET");
        using var receiver = new WebhookReceiver();

        var clean = SysprintProcess.Run(["run", "--db", Db, "-q", "--detector", "callset", "--", .. s_command]);
        var (exit, output, error) = SysprintProcess.Run(
            ["run", "--db", Db, "-q", "--detector", "callset", "--webhook", receiver.Url, "-E", "LD_PRELOAD=" + library, "--", .. s_command]);

        Assert.True(clean.Exit == 0, clean.Out + clean.Error);
        Assert.Contains("normal     run: sh -c cat /etc/hostname; sleep 0.1  ", clean.Out, StringComparison.Ordinal);
        Assert.True(exit == 1, output + error);
        Assert.Matches(@"ANOMALOUS  run: sh -c cat /etc/hostname; sleep 0\.1  \d+ mismatch(es)? \(\d+ distinct\) in [\d,]+ syscalls, profile 'default', callset score 0\.\d+ > threshold 0; exit status 0\n", output);
        Assert.Matches(@"\n    line \d+  pid \d+  socket\(41\)  (×\d+  )?\(call not in the nearest normal run\)\n", output);
        Assert.Contains(receiver.Alerts(), a =>
            a.RootElement.GetProperty("output_fields").GetProperty("mismatch.next").GetString() == "socket"
            && a.RootElement.GetProperty("output_fields").GetProperty("reason").GetString() == "call not in the nearest normal run");
    }

    [Fact]
    public void A_whole_run_detector_cannot_stop_or_kill_at_the_offending_call()
    {
        Learn("sleep", "0.1");

        var (exit, output, error) = SysprintProcess.Run(["run", "--db", Db, "--detector", "zstide", "--on-anomaly", "kill", "--", "sleep", "0.1"]);

        Assert.Equal(64, exit);
        Assert.Equal("", output);
        Assert.Contains("detector 'zstide' scores a run once it has ended, so --on-anomaly deny, stop or kill cannot act on it", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("native")]
    [InlineData("strace")] // still there for hosts where only strace may trace
    public void On_anomaly_kill_ends_the_traced_process_at_once(string tracer)
    {
        LearnWith(tracer, "sleep", "0.1");
        string library = Injection.Build(_dir, "SOCKET");

        var watch = Stopwatch.StartNew();
        var (exit, output, error) = SysprintProcess.Run(["run", "--db", Db, "--tracer", tracer, "-q", "--on-anomaly", "kill", "-E", "LD_PRELOAD=" + library, "--", "sleep", "30"]);

        Assert.True(exit == 1, output + error);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
        Assert.Contains("; exit status 137\n", output, StringComparison.Ordinal);
        Assert.Matches(@"\n    killed the traced processes: \d+\n", output);
    }

    [Theory]
    [InlineData("native")]
    [InlineData("strace")] // still there for hosts where only strace may trace
    public void On_anomaly_stop_freezes_the_traced_process_until_the_administrator_acts(string tracer)
    {
        LearnWith(tracer, "sleep", "0.1");
        string library = Injection.Build(_dir, "SOCKET");
        using var receiver = new WebhookReceiver();
        using SysprintProcess run = SysprintProcess.Start(
            ["run", "--db", Db, "--tracer", tracer, "-q", "--webhook", receiver.Url, "--on-anomaly", "stop", "-E", "LD_PRELOAD=" + library, "--", "sleep", "30"]);

        Eventually.True(() => !receiver.Received.IsEmpty, "an alert at the webhook");
        int pid = checked((int)receiver.Alerts()[0].RootElement.GetProperty("output_fields").GetProperty("proc.pid").GetInt64());
        Eventually.True(() => ProcessTree.StateOf(pid) is 't' or 'T', $"pid {pid} stopped");
        Assert.False(run.HasExited);
        Posix.Signal(pid, Posix.SigKill);
        int exit = run.WaitForExit();

        Assert.Equal(1, exit);
        Assert.Contains($"    stopped the traced processes: {pid} (resume: kill -CONT {pid}; end: kill -KILL {pid})\n", run.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("native")]
    [InlineData("strace")] // still there for hosts where only strace may trace
    public void Attach_checks_a_running_process_from_the_moment_it_attaches(string tracer)
    {
        // The script waits for a line on its standard input: given once sysprint has attached.
        string[] script = ["sh", "-c", "read line; exec cat /etc/hostname"];
        LearnWith(tracer, script);
        string library = Injection.Build(_dir, "SOCKET");
        var start = new ProcessStartInfo(script[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (string arg in script[1..])
        {
            start.ArgumentList.Add(arg);
        }

        // The injection runs again at the exec of cat, after sysprint attached.
        start.Environment["LD_PRELOAD"] = library;
        using Process target = Process.Start(start)!;
        using var receiver = new WebhookReceiver();

        using SysprintProcess attach = SysprintProcess.Start(["attach", "--db", Db, "--tracer", tracer, "-q", "--webhook", receiver.Url, target.Id.ToString(CultureInfo.InvariantCulture)]);
        Eventually.True(() => TracerOf(target.Id) != 0, $"pid {target.Id} traced", seconds: 60);
        target.StandardInput.WriteLine("go");
        target.StandardInput.Close();
        target.WaitForExit();
        int exit = attach.WaitForExit();
        string output = attach.Out;
        string error = attach.Error;

        Assert.True(exit == 1, output + error);
        Assert.Contains($"ANOMALOUS  attach: pid {target.Id} (sh)  ", output, StringComparison.Ordinal);
        Assert.Contains(receiver.Alerts(), a => a.RootElement.GetProperty("output_fields").GetProperty("mismatch.next").GetString() == "socket");
    }

    private static int TracerOf(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("TracerPid:", StringComparison.Ordinal))
            {
                return int.Parse(line.AsSpan(10).Trim(), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    [Fact]
    public void Run_of_a_missing_command_says_so()
    {
        Learn("sleep", "0.1");

        var (exit, output, error) = SysprintProcess.Run(["run", "--db", Db, "--", "no-such-command-here"]);

        Assert.Equal(66, exit);
        Assert.Equal("", output);
        Assert.Equal("sysprint: error: no-such-command-here: command not found\n", error);
    }
}

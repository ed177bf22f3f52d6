using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Sysprint.Agent.Tracing;
using Sysprint.Cli;

namespace Sysprint;

/// <summary>
/// The paper's whole loop on real programs: trace them with the real strace in several output
/// shapes, learn one fingerprint, then check new clean runs (other arguments, other shapes) and
/// the same programs with code injected at load time.
/// </summary>
public sealed class EndToEndTests : IDisposable
{
    private static readonly string[][] s_shapes =
    [
        ["-f"], ["-f", "-tt", "-T"], ["-f", "-yy"], ["-f", "-n"], ["-f", "-ttt", "-i"], ["-f", "-r", "-X", "verbose"],
    ];

    private readonly TempDir _temp = new("sysprint-e2e-");
    private readonly Dictionary<string, string> _env = new() { ["LC_ALL"] = "C" };

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Fingerprint_learnt_from_real_runs_passes_clean_runs_and_flags_injected_code()
    {
        RequireTools();
        string db = Path.Combine(_temp.Root, "e2e.db");
        (string Program, string[][] Args)[] programs =
        [
            ("ls", [["/"], ["-l", "/etc"], ["-a", "/usr"], ["-la", "/tmp"], ["/usr/bin/env"], ["-R", "/etc/default"]]),
            ("cat", [["/etc/hostname"], ["/etc/os-release"], ["/etc/passwd"], ["/etc/group", "/etc/hostname"], ["/etc/shells"], ["/etc/issue"]]),
            ("sort", [["/etc/passwd"], ["-r", "/etc/group"], ["-u", "/etc/shells"], ["-n", "/etc/hostname"], ["/etc/os-release"], ["-t:", "-k3", "/etc/passwd"]]),
            ("wc", [["-l", "/etc/passwd"], ["/etc/group"], ["-c", "/etc/hostname"], ["-w", "/etc/os-release"], ["/etc/shells", "/etc/issue"], ["-m", "/etc/passwd"]]),
            ("date", [[], ["-u"], ["+%s"], ["-R"], ["-I"], ["+%Y-%m-%d"]]),
        ];
        int n = 0;
        foreach (var (program, argSets) in programs)
        {
            foreach (string[] args in argSets)
            {
                Trace(Path.Combine(_temp.Root, "normal", $"{program}-{n:D2}.strace"), s_shapes[n % s_shapes.Length], [program, .. args]);
                n++;
            }
        }

        (int trainExit, string trainOut, string trainErr) = Cli("train", "--db", db, Path.Combine(_temp.Root, "normal"));
        Assert.True(trainExit == 0, trainErr);

        // Clean runs: arguments never learnt, shapes never used for learning, -ff and trace-to-stderr included.
        var clean = new List<string>
        {
            Trace(Path.Combine(_temp.Root, "clean", "cat-hosts.strace"), ["-f", "-tt", "-T", "-yy", "-n"], ["cat", "/etc/hosts"]),
            Trace(Path.Combine(_temp.Root, "clean", "ls-usr-share.strace"), ["-f", "-ttt"], ["ls", "/usr/share"]),
            Trace(Path.Combine(_temp.Root, "clean", "sort-hosts.strace"), ["-f", "-t", "-r"], ["sort", "/etc/hosts"]),
            Trace(Path.Combine(_temp.Root, "clean", "wc-hosts.strace"), ["-f", "-i", "-T"], ["wc", "/etc/hosts"]),
            Trace(Path.Combine(_temp.Root, "clean", "date-utc.strace"), ["-f", "-yy", "-X", "verbose"], ["date", "-u", "+%H"]),
            TraceToStderr(Path.Combine(_temp.Root, "clean", "cat-stderr.strace"), ["cat", "/etc/hostname"]),
        };
        Trace(Path.Combine(_temp.Root, "clean-ff", "ls"), ["-ff"], ["ls", "-l", "/usr"]);
        clean.AddRange(Directory.GetFiles(Path.Combine(_temp.Root, "clean-ff")));

        var injected = new List<(string Payload, string Log)>();
        foreach (string payload in new[] { "SOCKET", "SHELL", "SETUID", "APPEND" })
        {
            string library = Injection.Build(_temp.Root, payload);
            foreach (string program in new[] { "cat", "ls", "date" })
            {
                string[] command = program == "date" ? ["date"] : [program, "/etc/hostname"];
                string log = Trace(Path.Combine(_temp.Root, "injected", $"{program}-{payload.ToLowerInvariant()}.strace"), ["-f"], command,
                    new() { ["LD_PRELOAD"] = library, ["INJECT_TARGET"] = Path.Combine(_temp.Root, $"target-{payload}-{program}") });
                injected.Add((payload, log));
            }
        }

        var verdicts = CheckAll(db, [.. clean, .. injected.Select(i => i.Log)]);

        int falseAlarms = clean.Count(log => verdicts[log].Anomalous);
        int detected = injected.Count(i => verdicts[i.Log].Anomalous);
        long syscalls = verdicts.Values.Sum(v => v.Syscalls);
        TestContext.Current.SendDiagnosticMessage(string.Create(CultureInfo.InvariantCulture,
            $"e2e: learnt {n} logs; checked {clean.Count} clean logs ({falseAlarms} false alarms) and {injected.Count} injected logs ({detected} detected); {syscalls} syscalls checked"));
        Assert.Equal(0, falseAlarms);
        Assert.All(injected, i => Assert.True(verdicts[i.Log].Anomalous, $"{i.Payload} injected into {Path.GetFileName(i.Log)} was not detected"));
    }

    [Fact]
    public void Same_run_captured_with_and_without_o_gives_the_same_fingerprint()
    {
        RequireTools();
        string toFile = Trace(Path.Combine(_temp.Root, "shape", "file.strace"), ["-f"], ["cat", "/etc/hostname"]);
        string toStderr = TraceToStderr(Path.Combine(_temp.Root, "shape", "stderr.strace"), ["cat", "/etc/hostname"]);

        string a = ShowFingerprint(Path.Combine(_temp.Root, "a.db"), toFile);
        string b = ShowFingerprint(Path.Combine(_temp.Root, "b.db"), toStderr);

        Assert.Equal(a, b);
    }

    private static string ShowFingerprint(string db, string log)
    {
        (int exit, _, string err) = Cli("train", "--db", db, log);
        Assert.True(exit == 0, err);
        (exit, string shown, err) = Cli("show", "--db", db, "--format", "json");
        Assert.True(exit == 0, err);
        return shown;
    }

    private static Dictionary<string, (bool Anomalous, long Syscalls)> CheckAll(string db, IReadOnlyList<string> logs)
    {
        (int exit, string output, string error) = Cli(["check", "--db", db, "--json", "--vm", "e2e", .. logs]);
        Assert.True(exit is 0 or 1, $"check failed with {exit}: {error}");
        var verdicts = new Dictionary<string, (bool, long)>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            JsonElement root = doc.RootElement;
            verdicts[root.GetProperty("log").GetString()!] =
                (root.GetProperty("verdict").GetString() == "anomalous", root.GetProperty("syscalls").GetInt64());
        }

        Assert.Equal(logs.Count, verdicts.Count);
        return verdicts;
    }

    private string Trace(string log, string[] shape, string[] command, Dictionary<string, string>? extra = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        var env = new Dictionary<string, string>(_env);
        foreach (var (k, v) in extra ?? [])
        {
            env[k] = v;
        }

        StraceCapture.Run(log, shape, command, env);
        return log;
    }

    /// <summary>strace without -o: the trace goes to stderr, mixed with the program's own stderr.</summary>
    private static string TraceToStderr(string log, string[] command)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        var start = new ProcessStartInfo(StraceCapture.Strace()) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in (string[])["-f", "-E", "LC_ALL=C", "--", .. command])
        {
            start.ArgumentList.Add(arg);
        }

        using Process p = Process.Start(start)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        _ = stdout.Result;
        File.WriteAllText(log, stderr);
        return log;
    }

    private static (int Exit, string Out, string Err) Cli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = SysprintApp.Run(args, new CliContext { Out = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private static void RequireTools()
    {
        // These are real-process tests: strace and a C compiler are installed by .ci/run.
        Assert.NotNull(Executables.Find("strace"));
        Assert.NotNull(Executables.Find("cc"));
    }
}

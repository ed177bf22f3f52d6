using System.Diagnostics;
using Sysprint.Agent.Tracing;
using Sysprint.Mapping;
using Sysprint.Parsing;

namespace Sysprint.Agent.Tests.Tracing;

/// <summary>
/// The native tracer sees what strace sees: real programs run once under <c>strace -f</c> and once
/// under the native tracer (both with the standard streams on <c>/dev/null</c>), their logs read by
/// the same reader; each process's sequence of calls must be the same. The native tracer runs failing
/// closed, so with one stop per call (its seccomp filter), and for some programs also with two stops
/// per call (as when failing open). Only names are compared: with one stop the log has no return
/// values (<c>= ?</c>), which the readers do not use. For the programs whose calls do not depend on
/// timing, the verdicts are compared too: each log is normal against the fingerprint learnt from the other.
/// </summary>
[Trait("Speed", "slow")]
[Collection(InProcessTracer.Name)]
public sealed class NativeEquivalenceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public NativeEquivalenceTests()
    {
        Assert.NotNull(Sysprint.Agent.Tracing.Executables.Find("strace"));
        Assert.True(Tracers.NativeSupported, "the native tracer runs on Linux x86_64");
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Programs whose calls do not depend on timing: every process's sequence must match call for call.</summary>
    public static TheoryData<string, string[]> Deterministic => new()
    {
        { "ls", ["ls", "-la", "/usr/share/doc"] },
        { "cat", ["cat", "/etc/os-release"] },
        { "sort", ["sort", "/etc/services"] },
        { "gzip", ["gzip", "-c", "/etc/services"] },
        { "tar", ["tar", "cf", "-", "/usr/share/doc/strace"] },
        { "python3", ["/usr/bin/python3", "-S", "-c", "print(sum(range(10)))"] },
        { "find", ["find", "/usr/share/doc", "-name", "*.gz"] },
        { "grep", ["grep", "-c", "root", "/etc/passwd"] },
        { "wc", ["wc", "-c", "/etc/services"] },
        { "date", ["date", "+%s"] },
        { "sha256sum", ["sha256sum", "/etc/services"] },
        { "sed", ["sed", "-n", "1p", "/etc/passwd"] },
        { "awk", ["awk", "-F:", "{print $1}", "/etc/passwd"] },
        { "fork and exec", ["sh", "-c", "date +%s; true"] },
        { "env", ["env"] },
    };

    /// <summary>
    /// Programs whose calls depend on scheduling (a pipeline's reads, threads' futex waits and malloc
    /// arenas): as many threads, making the same set of distinct calls.
    /// </summary>
    public static TheoryData<string, string[]> Scheduled => new()
    {
        { "sh -c pipeline", ["sh", "-c", "cat /etc/services | sort | wc -l"] },
        { "multithreaded", ["/usr/bin/python3", "-S", "-c", "import threading\nts=[threading.Thread(target=sum, args=(range(100000),)) for _ in range(4)]\n[t.start() for t in ts]\n[t.join() for t in ts]"] },
        { "sort --parallel", ["sort", "--parallel=4", "-S", "64K", "/etc/services"] },
    };

    /// <summary>Programs also traced with two stops per call (entry and exit), the mode of a run failing open.</summary>
    public static TheoryData<string, string[]> TwoStops => new()
    {
        { "ls", ["ls", "-la", "/usr/share/doc"] },
        { "tar", ["tar", "cf", "-", "/usr/share/doc/strace"] },
        { "python3", ["/usr/bin/python3", "-S", "-c", "print(sum(range(10)))"] },
        { "fork and exec", ["sh", "-c", "date +%s; true"] },
    };

    [Theory]
    [MemberData(nameof(Deterministic))]
    public void A_program_makes_the_same_calls_under_both_tracers(string name, string[] command)
    {
        string straceLog = StraceLog(command);
        List<int[]> strace = Sequences(straceLog);
        string log = NativeLog(command, oneStop: true);
        List<int[]> native = Sequences(log);

        Assert.True(strace.Count > 0, name);
        Assert.Equal(Show(strace), Show(native));
        AssertOneStopPerCall(log);
        AssertSameVerdicts(straceLog, log);
    }

    [Theory]
    [MemberData(nameof(TwoStops))]
    public void A_program_makes_the_same_calls_when_traced_at_entry_and_exit(string name, string[] command)
    {
        List<int[]> strace = Sequences(StraceLog(command));
        string log = NativeLog(command, oneStop: false);
        List<int[]> native = Sequences(log);

        Assert.True(strace.Count > 0, name);
        Assert.Equal(Show(strace), Show(native));

        // Return values were seen: "= 0", "= 3", "= -1 ENOENT (...)".
        Assert.Contains(File.ReadLines(log), l => l.EndsWith(") = 0", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Scheduled))]
    public void A_program_scheduled_differently_makes_the_same_kinds_of_calls_under_both_tracers(string name, string[] command)
    {
        List<int[]> strace = Sequences(StraceLog(command));
        string log = NativeLog(command, oneStop: true);
        List<int[]> native = Sequences(log);

        Assert.True(strace.Count > 0, name);
        Assert.Equal(strace.Count, native.Count);
        Assert.Equal(Kinds(strace), Kinds(native));
        AssertOneStopPerCall(log);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_log_shows_paths_addresses_and_vectors_as_strace_does(bool oneStop)
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        string[] command = ["/usr/bin/python3", "-S", "-c",
            "import os, socket\nf = open('/etc/hostname')\nf.close()\ns = socket.socket()\n"
            + $"s.connect(('127.0.0.1', {port}))\ns.close()\nos.write(1, b'hi \\x1b\\n')\nos.execv('/bin/true', ['true', 'x \"y\"'])"];

        List<string> strace = Decoded(StraceLog(command));
        List<string> native = Decoded(NativeLog(command, oneStop));

        Assert.True(strace.Count == 4, string.Join('\n', strace));
        Assert.Equal(strace, native);
    }

    /// <summary>
    /// The verdicts agree: a fingerprint learnt from the strace log finds the native log normal, with
    /// no mismatch, and one learnt from the native log finds the strace log normal (run's default
    /// detector and window, as <c>sysprint run --learn</c> and <c>sysprint run</c> would learn and check).
    /// </summary>
    private void AssertSameVerdicts(string straceLog, string nativeLog)
    {
        string db = _dir.PathOf($"verdicts-{Guid.NewGuid():N}.db");
        SyscallTable table = SyscallTable.Builtin("x86_64");
        using var store = Sysprint.Storage.Sqlite.SqliteFingerprintStore.Open(db, createIfMissing: true);
        var trainer = new Sysprint.Engine.Trainer(store, table, new LogReadOptions { Format = LogFormat.Strace });
        trainer.Learn(straceLog, "strace", null);
        trainer.Learn(nativeLog, "native", null);

        foreach (var (profile, log) in (ReadOnlySpan<(string, string)>)[("strace", nativeLog), ("native", straceLog)])
        {
            var check = new Sysprint.Agent.Live.LiveCheck(Sysprint.Agent.Live.LiveProfile.Load(store, profile), _ => { });
            LogReader.Read(log, table, new LogReadOptions { Format = LogFormat.Strace }, check);
            check.Complete();

            Assert.True(!check.Anomalous && check.MismatchCount == 0,
                $"{Path.GetFileName(log)} against the fingerprint learnt from the other tracer's log: {check.MismatchCount} mismatches");
        }
    }

    /// <summary>The calls of that program whose arguments are compared, from the name to the closing parenthesis, addresses as <c>0x?</c>.</summary>
    private static List<string> Decoded(string log)
    {
        var calls = new List<string>();
        foreach (string line in File.ReadLines(log))
        {
            foreach (string call in (string[])["openat(AT_FDCWD, \"/etc/hostname\"", "connect(", "write(1, ", "execve(\"/bin/true\""])
            {
                // "PID  [SECONDS.MICROS ]CALL(...) = N"; strace pads short lines before " = " to its 40th column.
                var prefix = System.Text.RegularExpressions.Regex.Match(line, @"^\d+ +(\d+\.\d+ +)?");
                int at = prefix.Length;
                int end = line.LastIndexOf(" = ", StringComparison.Ordinal);
                if (line.AsSpan(at).StartsWith(call, StringComparison.Ordinal) && end > at)
                {
                    calls.Add(System.Text.RegularExpressions.Regex.Replace(line[at..end].TrimEnd(), "0x[0-9a-f]+", "0x?"));
                }
            }
        }

        return calls;
    }

    /// <summary>
    /// The filter was installed: every call was seen at its entry only (<c>= ?</c>), but the
    /// command's own execve, whose exit the tracer waits for before installing it.
    /// </summary>
    private static void AssertOneStopPerCall(string log)
    {
        List<string> calls = [.. File.ReadLines(log).Where(l => l.Contains(") = ", StringComparison.Ordinal))];
        Assert.EndsWith(") = 0", calls[0], StringComparison.Ordinal);
        Assert.All(calls.Skip(1), l => Assert.EndsWith(") = ?", l, StringComparison.Ordinal));
    }

    private string StraceLog(string[] command)
    {
        Assert.SkipUnless(File.Exists(command[0]) || command[0][0] != '/', $"{command[0]} is not installed");
        string log = _dir.PathOf($"strace-{Guid.NewGuid():N}.log");

        // The native tracer passes on this process's environment as it started (/proc/self/environ),
        // SIGPIPE at its default (.NET ignores it), and the streams on /dev/null: the same here.
        var start = new ProcessStartInfo("sh") { UseShellExecute = false };
        start.Environment.Clear();
        foreach (var (key, value) in StartEnvironment())
        {
            start.Environment[key] = value;
        }

        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec env --default-signal=PIPE strace -f -o \"$0\" -- \"$@\" </dev/null >/dev/null 2>&1");
        start.ArgumentList.Add(log);
        foreach (string arg in command)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(120)), "strace finished");
        return log;
    }

    private string NativeLog(string[] command, bool oneStop)
    {
        string log = _dir.PathOf($"native-{Guid.NewGuid():N}.log");
        // sh, which starts strace above, sets PWD in the environment it passes on.
        var options = new Sysprint.Agent.Tracing.TraceOptions
        {
            Command = command,
            InheritStdio = false,
            FailOpen = false,
            OneStopPerCall = oneStop,
            Environment = new Dictionary<string, string> { ["PWD"] = Environment.CurrentDirectory },
        };
        LiveTrace.Record(options, log, TestContext.Current.CancellationToken);
        return log;
    }

    private static Dictionary<string, string> StartEnvironment()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string entry in File.ReadAllText("/proc/self/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = entry.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                environment[entry[..eq]] = entry[(eq + 1)..];
            }
        }

        return environment;
    }

    /// <summary>Each process's calls in order, the processes sorted (their pids and start order differ from run to run).</summary>
    private static List<int[]> Sequences(string log)
    {
        var sink = new Recorder();
        LogReader.Read(log, SyscallTable.Builtin("x86_64"), new LogReadOptions { Format = LogFormat.Strace }, sink);
        List<int[]> sequences = [.. sink.Threads.Values.Select(l => l.ToArray())];
        sequences.Sort((a, b) => string.CompareOrdinal(string.Join(',', a), string.Join(',', b)));
        return sequences;
    }

    private static string Show(List<int[]> sequences)
    {
        SyscallTable table = SyscallTable.Builtin("x86_64");
        return string.Join('\n', sequences.Select(s => string.Join(' ', s.Select(table.NameOf))));
    }

    private static string Kinds(List<int[]> sequences)
    {
        SyscallTable table = SyscallTable.Builtin("x86_64");
        return string.Join(' ', sequences.SelectMany(s => s).Distinct().Order().Select(table.NameOf));
    }

    private sealed class Recorder : ISyscallSink
    {
        private readonly Dictionary<long, int> _generation = [];

        /// <summary>Calls per thread; a tid reused after its exit is a new thread.</summary>
        public Dictionary<(long, int), List<int>> Threads { get; } = [];

        public void OnSyscall(long thread, int number, long line)
        {
            var key = (thread, _generation.GetValueOrDefault(thread));
            if (!Threads.TryGetValue(key, out List<int>? calls))
            {
                calls = [];
                Threads[key] = calls;
            }

            calls.Add(number);
        }

        public void OnThreadEnd(long thread) => _generation[thread] = _generation.GetValueOrDefault(thread) + 1;

        public void OnThreadRenamed(long oldThread, long newThread)
        {
        }
    }
}

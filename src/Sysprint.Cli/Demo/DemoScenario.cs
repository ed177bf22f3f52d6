using System.Diagnostics;
using System.Globalization;
using Sysprint.Agent.Tracing;
using Sysprint.Engine;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.Cli.Demo;

/// <summary>
/// The main job on a fresh machine: trace real well-known programs with strace, learn one
/// fingerprint from their normal runs, then check a new clean run and a run with code injected at
/// load time, and tell what happened.
/// </summary>
internal sealed class DemoScenario(CliContext context, string workDir)
{
    /// <summary>The strace output shapes runs are captured in: the fingerprint must not depend on them.</summary>
    private static readonly string[][] s_shapes =
    [
        ["-f"],
        ["-f", "-tt", "-T"],
        ["-f", "-yy"],
        ["-f", "-n"],
        ["-f", "-ttt", "-i"],
        ["-f", "-r", "-X", "verbose"],
    ];

    /// <summary>Well-known programs and the varied arguments of their normal runs.</summary>
    private static readonly (string Program, string[][] Args)[] s_programs =
    [
        ("ls", [["/"], ["-l", "/etc"], ["-a", "/usr"], ["-la", "/tmp"], ["-R", "/etc/default"], ["/usr/bin/env"]]),
        ("cat", [["/etc/hostname"], ["/etc/os-release"], ["/etc/passwd"], ["/etc/group", "/etc/hostname"], ["/etc/shells"], ["/etc/issue"]]),
        ("sort", [["/etc/passwd"], ["-r", "/etc/group"], ["-u", "/etc/shells"], ["-n", "/etc/hostname"], ["/etc/os-release"], ["-t:", "-k3", "/etc/passwd"]]),
        ("date", [[], ["-u"], ["+%s"], ["-R"], ["-I"], ["+%Y-%m-%d"]]),
        ("wc", [["-l", "/etc/passwd"], ["/etc/group"], ["-c", "/etc/hostname"], ["-w", "/etc/os-release"], ["/etc/shells", "/etc/issue"], ["-m", "/etc/passwd"]]),
    ];

    /// <summary>Runs in a row that add nothing before a program counts as stable (as train judges a profile).</summary>
    internal const int StableAfter = 3;

    /// <summary>The program the check step runs, clean and tampered.</summary>
    private const string CheckedProgram = "cat";

    private readonly CliContext _context = context;
    private readonly string _workDir = workDir;

    public int Run()
    {
        TextWriter o = _context.Out;
        string strace = StraceCapture.Strace();
        o.WriteLine("sysprint demo: the fingerprinting IDS of Gupta & Kumar on real programs traced on this machine.");
        o.WriteLine($"  work folder: {_workDir} (logs and the store are kept there; remove it when done)");
        o.WriteLine();

        var runs = TraceNormalRuns(strace);
        string dbPath = Path.Combine(_workDir, "demo.db");
        using IFingerprintStore store = StoreLocator.Open(StoreAddress.Parse(dbPath), create: true, _context);
        SyscallTable table = SyscallTable.Builtin("x86_64");
        store.SaveMapping(table);
        var options = new LogReadOptions { Format = LogFormat.Strace };

        Learn(store, table, options, runs);
        return Check(store, table, options, dbPath);
    }

    private List<DemoRun> TraceNormalRuns(string strace)
    {
        TextWriter o = _context.Out;
        string version = StraceVersion(strace);
        int rounds = s_programs.Max(p => p.Args.Length);
        o.WriteLine($"1. Tracing {s_programs.Length} well-known programs with {version}, {rounds} runs each, arguments varied,");
        o.WriteLine($"   each run captured in another strace output shape ({string.Join(" | ", s_shapes.Select(s => string.Join(' ', s)))}):");
        var runs = new List<DemoRun>();
        var stopwatch = Stopwatch.StartNew();
        for (int round = 0; round < rounds; round++)
        {
            foreach (var (program, argSets) in s_programs)
            {
                if (round >= argSets.Length)
                {
                    continue;
                }

                string[] command = [program, .. argSets[round]];
                string[] shape = s_shapes[(round + Array.FindIndex(s_programs, p => p.Program == program)) % s_shapes.Length];
                string log = Path.Combine(_workDir, "normal", $"{program}-{round + 1}.strace");
                Directory.CreateDirectory(Path.GetDirectoryName(log)!);
                StraceCapture.Run(log, shape, command, DemoEnvironment());
                runs.Add(new DemoRun(program, command, shape, log));
            }
        }

        foreach (var (program, argSets) in s_programs)
        {
            var examples = argSets.Take(3).Select(a => string.Join(' ', [program, .. a]));
            o.WriteLine($"   {program,-5} {argSets.Length} runs: {string.Join(", ", examples)}, ...");
        }

        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {runs.Count} logs in {stopwatch.Elapsed.TotalSeconds:F1} s under {Path.Combine(_workDir, "normal")}"));
        o.WriteLine();
        return runs;
    }

    private void Learn(IFingerprintStore store, SyscallTable table, LogReadOptions options, List<DemoRun> runs)
    {
        TextWriter o = _context.Out;
        o.WriteLine($"2. Learning one fingerprint database for all {s_programs.Length} programs (the paper's single database):");
        var trainer = new Trainer(store, table, options);
        var growth = new List<int>();
        TrainOutcome? last = null;
        foreach (DemoRun run in runs)
        {
            last = trainer.Learn(run.Log, ProfileInfo.DefaultName, null);
            growth.Add(last.Log.NewTransitions);
        }

        int perRound = s_programs.Length;
        o.WriteLine($"   new transitions brought by each run: {string.Concat(s_programs.Select(p => p.Program.PadLeft(6)))}");
        for (int start = 0; start < growth.Count; start += perRound)
        {
            int[] round = [.. growth.Skip(start).Take(perRound)];
            o.WriteLine($"   {"round " + ((start / perRound) + 1).ToString(CultureInfo.InvariantCulture),-37}{string.Concat(round.Select(g => g.ToString(CultureInfo.InvariantCulture).PadLeft(6)))}");
        }

        long syscalls = runs.Sum(r => store.FindLearntLog(store.FindProfile(ProfileInfo.DefaultName)!.Id, Trainer.Hash(r.Log).Sha256)?.Syscalls ?? 0);
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   {syscalls:N0} system calls read; fingerprint: {last!.FingerprintSize} transitions over {last.KnownCalls} calls."));
        foreach (string line in Stability(runs, growth, CheckedProgram))
        {
            o.WriteLine("   " + line);
        }

        o.WriteLine();
    }

    /// <summary>
    /// What the runs' growth says, program by program: one database holds them all, but each
    /// program's behaviour settles on its own (ls, with its many options, later than date). A
    /// program has stabilised once its last <see cref="StableAfter"/> runs added nothing.
    /// </summary>
    internal static IReadOnlyList<string> Stability(IReadOnlyList<DemoRun> runs, IReadOnlyList<int> growth, string checkedProgram)
    {
        var stable = new List<string>();
        var growing = new List<string>();
        var growingNames = new List<string>();
        int quietOfStable = int.MaxValue;
        bool sameQuiet = true;
        foreach (string program in runs.Select(r => r.Program).Distinct())
        {
            int[] own = [.. runs.Select((r, i) => (r.Program, Growth: growth[i])).Where(r => r.Program == program).Select(r => r.Growth)];
            int quiet = 0;
            for (int i = own.Length - 1; i >= 0 && own[i] == 0; i--)
            {
                quiet++;
            }

            if (quiet >= StableAfter)
            {
                sameQuiet &= quietOfStable == int.MaxValue || quietOfStable == quiet;
                quietOfStable = Math.Min(quietOfStable, quiet);
                stable.Add(program);
                continue;
            }

            int last = own.Length - 1 - quiet;
            string added = $"its run {last + 1} of {own.Length} added {Transitions(own[last])}";
            growingNames.Add(program);
            growing.Add(quiet == 0 ? $"{program} ({added})" : $"{program} ({added}, the {Runs(quiet)} after it nothing)");
        }

        var lines = new List<string>();
        if (stable.Count > 0)
        {
            string quietText = sameQuiet ? $"the last {quietOfStable} runs of each" : $"at least the last {quietOfStable} runs of each";
            lines.Add(growing.Count == 0
                ? $"Every program has stabilised: {quietText} added nothing."
                : $"Stabilised: {Join(stable, "and")} ({quietText} added nothing).");
        }

        if (growing.Count > 0)
        {
            lines.Add($"Not stable yet: {Join(growing, "and")}.");
            lines.Add($"A new normal run of {Join(growingNames, "or")} may still hold a transition never seen (a false alarm): " +
                (growing.Count == 1
                    ? $"learn more of its normal runs, until {StableAfter} in a row add nothing."
                    : $"learn more of their normal runs, until {StableAfter} in a row of each add nothing."));
            if (growingNames.Contains(checkedProgram))
            {
                lines.Add($"The checks below run {checkedProgram}, which has not stabilised: a false alarm on its clean run would be no surprise.");
            }
        }

        return lines;

        static string Transitions(int n) => n == 1 ? "1 transition" : $"{n} transitions";
        static string Runs(int n) => n == 1 ? "run" : $"{n} runs";
        static string Join(List<string> items, string conjunction) => items.Count == 1
            ? items[0]
            : string.Join(", ", items.Take(items.Count - 1)) + $" {conjunction} " + items[^1];
    }

    private int Check(IFingerprintStore store, SyscallTable table, LogReadOptions options, string dbPath)
    {
        TextWriter o = _context.Out;
        o.WriteLine("3. Checking new executions against the database:");
        var runner = new CheckRunner(store, table, options);

        // A clean run with arguments never learnt, in a shape never used for learning.
        string cleanLog = Path.Combine(_workDir, "check", "cat-clean.strace");
        Directory.CreateDirectory(Path.GetDirectoryName(cleanLog)!);
        string[] cleanCommand = [CheckedProgram, "/etc/hosts"];
        StraceCapture.Run(cleanLog, ["-f", "-tt", "-T", "-yy", "-n"], cleanCommand, DemoEnvironment());
        CheckOutcome clean = runner.Check(cleanLog, ProfileInfo.DefaultName, null);
        Record(store, clean, table);
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   {Verdict(clean)}  {string.Join(' ', cleanCommand),-40} clean run, new arguments: {clean.Syscalls} calls, {clean.MismatchCount} mismatches"));

        // The same program with code injected at load time.
        (string? library, string injected) = Injection.Build(_workDir);
        string tamperedLog = Path.Combine(_workDir, "check", "cat-tampered.strace");
        string[] tamperedCommand = [CheckedProgram, "/etc/hostname"];
        var environment = new Dictionary<string, string>(DemoEnvironment());
        if (library is not null)
        {
            environment["LD_PRELOAD"] = library;
        }

        StraceCapture.Run(tamperedLog, ["-f"], tamperedCommand, environment);
        CheckOutcome tampered = runner.Check(tamperedLog, ProfileInfo.DefaultName, null);
        long alertId = Record(store, tampered, table);
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   {Verdict(tampered)}  {string.Join(' ', tamperedCommand),-40} {injected}: {tampered.Syscalls} calls, {tampered.MismatchCount} mismatches"));
        foreach (Mismatch m in tampered.Mismatches.Take(6))
        {
            o.WriteLine("        " + CheckReport.DescribeMismatch(m, table));
        }

        if (tampered.Mismatches.Count > 6)
        {
            o.WriteLine($"        ... and {tampered.Mismatches.Count - 6} more");
        }

        o.WriteLine();
        if (tampered.Anomalous)
        {
            o.WriteLine($"   ALERT #{alertId} to the administrator: anomalous session in log {tamperedLog} (vm demo): {CheckReport.Summary(tampered, table)}");
        }

        o.WriteLine();
        bool asExpected = !clean.Anomalous && tampered.Anomalous;
        o.WriteLine(asExpected
            ? "Result: the clean run matched the fingerprint and the tampered run was caught."
            : "Result: NOT as expected: " + (clean.Anomalous ? "the clean run raised a false alarm. " : "") + (tampered.Anomalous ? "" : "the tampered run was missed."));
        o.WriteLine("Try it yourself:");
        o.WriteLine($"   ./sysprint show --db {dbPath} | head");
        o.WriteLine($"   ./sysprint check --db {dbPath} {tamperedLog}");
        o.WriteLine($"   ./sysprint alerts --db {dbPath}");
        return asExpected ? ExitCodes.Ok : ExitCodes.Anomalous;
    }

    private static long Record(IFingerprintStore store, CheckOutcome outcome, SyscallTable table) =>
        App.Checking.CheckRecords.Record(store, outcome, table, outcome.Path, "demo", Environment.MachineName, AlertSources.Check);

    private static string Verdict(CheckOutcome outcome) => outcome.Anomalous ? "ANOMALOUS" : "normal   ";

    /// <summary>The same locale for every run: programs read locale files, which would add noise.</summary>
    private static Dictionary<string, string> DemoEnvironment() => new() { ["LC_ALL"] = "C" };

    private static string StraceVersion(string strace)
    {
        try
        {
            using Process p = Process.Start(new ProcessStartInfo(strace, "-V") { RedirectStandardOutput = true, UseShellExecute = false })!;
            string first = p.StandardOutput.ReadLine() ?? "strace";
            p.WaitForExit();
            return first.Replace("-- version ", "", StringComparison.Ordinal).Trim();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "strace";
        }
    }
}

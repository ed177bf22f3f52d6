using System.Diagnostics;
using System.Globalization;
using Sysprint.Diagnostics;
using Sysprint.Engine;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Parsing;
using Sysprint.Storage;
using Sysprint.Tracing;

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
        using IFingerprintStore store = StoreLocator.Open(dbPath, create: true, _context);
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

        int quiet = 0;
        for (int i = growth.Count - 1; i >= 0 && growth[i] == 0; i--)
        {
            quiet++;
        }

        long syscalls = runs.Sum(r => store.FindLearntLog(store.FindProfile(ProfileInfo.DefaultName)!.Id, Trainer.Hash(r.Log).Sha256)?.Syscalls ?? 0);
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   {syscalls:N0} system calls read; fingerprint: {last!.FingerprintSize} transitions over {last.KnownCalls} calls."));
        o.WriteLine(quiet > 0
            ? $"   The last {quiet} runs added nothing: the fingerprint has stabilised, so it can be trusted."
            : "   The last run still added transitions: more normal runs would be needed before trusting it.");
        o.WriteLine();
    }

    private int Check(IFingerprintStore store, SyscallTable table, LogReadOptions options, string dbPath)
    {
        TextWriter o = _context.Out;
        o.WriteLine("3. Checking new executions against the database:");
        var runner = new CheckRunner(store, table, options);

        // A clean run with arguments never learnt, in a shape never used for learning.
        string cleanLog = Path.Combine(_workDir, "check", "cat-clean.strace");
        Directory.CreateDirectory(Path.GetDirectoryName(cleanLog)!);
        string[] cleanCommand = ["cat", "/etc/hosts"];
        StraceCapture.Run(cleanLog, ["-f", "-tt", "-T", "-yy", "-n"], cleanCommand, DemoEnvironment());
        CheckOutcome clean = runner.Check(cleanLog, ProfileInfo.DefaultName, null);
        Record(store, clean, table);
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   {Verdict(clean)}  {string.Join(' ', cleanCommand),-40} clean run, new arguments: {clean.Syscalls} calls, {clean.MismatchCount} mismatches"));

        // The same program with code injected at load time.
        (string? library, string injected) = Injection.Build(_workDir);
        string tamperedLog = Path.Combine(_workDir, "check", "cat-tampered.strace");
        string[] tamperedCommand = ["cat", "/etc/hostname"];
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
        store.RecordCheck(new CheckRecord(outcome.Path, "demo", outcome.Profile, outcome.Detector, outcome.Anomalous,
            outcome.Syscalls, outcome.MismatchCount, outcome.Score, CheckReport.Summary(outcome, table),
            CheckReport.DetailsJson(outcome, table, 200), DateTimeOffset.UtcNow));

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

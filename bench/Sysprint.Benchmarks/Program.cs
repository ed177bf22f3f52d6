using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Sysprint.Benchmarks;
using Sysprint.Engine;

// Usage:
//   Sysprint.Benchmarks generate OUT BYTES    the realistic strace log for bench/run.sh
//   Sysprint.Benchmarks sources               the captures it replays (to learn the fingerprint from)
//   Sysprint.Benchmarks hash FILE             time train's SHA-256 pass alone (Trainer.Hash)
//   Sysprint.Benchmarks time FILE [N [STAGE]] time the in-process pipeline on a file (N runs of read, lines, parse, check, learn)
//   Sysprint.Benchmarks [BenchmarkDotNet args] the micro-benchmarks, e.g. --filter '*'
if (args.Length == 3 && args[0] == "generate")
{
    string dir = StraceLogGenerator.FindSourceDirectory();
    long target = long.Parse(args[2], CultureInfo.InvariantCulture);
    using var output = new FileStream(args[1], FileMode.Create, FileAccess.Write, FileShare.Read, 0);
    (long bytes, long lines) = StraceLogGenerator.Generate(dir, target, output);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{args[1]}: {bytes} bytes, {lines} lines"));
    return 0;
}

if (args.Length == 1 && args[0] == "sources")
{
    string dir = StraceLogGenerator.FindSourceDirectory();
    foreach (string source in StraceLogGenerator.Sources)
    {
        Console.WriteLine(Path.Combine(dir, source));
    }

    return 0;
}

if (args.Length == 2 && args[0] == "hash")
{
    var clock = Stopwatch.StartNew();
    (string sha, long size) = Trainer.Hash(args[1]);
    double seconds = clock.Elapsed.TotalSeconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{sha}  {size} bytes in {seconds:F3} s: {size / seconds / 1e6:F0} MB/s"));
    return 0;
}

if (args.Length is >= 2 and <= 4 && args[0] == "time")
{
    PipelineTimer.Run(args[1], args.Length >= 3 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3, args.Length == 4 ? args[3] : null);
    return 0;
}

// In-process: no generated project to build (it would inherit the repository's strict build settings).
IConfig config = DefaultConfig.Instance
    .AddJob(Job.Default
        .WithWarmupCount(3)
        .WithIterationCount(10)
        .WithToolchain(InProcessEmitToolchain.Instance))
    .AddDiagnoser(MemoryDiagnoser.Default);
BenchmarkSwitcher.FromAssembly(typeof(StraceLogGenerator).Assembly).Run(args, config);
return 0;

using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Sysprint.Benchmarks;

/// <summary>
/// Builds a large, realistic <c>strace -f -tt -T -o LOG</c> log from the real captures in
/// <c>tests/Sysprint.Core.Tests/TestData/strace/</c>, deterministically: the same size gives the
/// same bytes on every machine.
/// </summary>
/// <remarks>
/// Several program runs are replayed at once, each with fresh pids, and their lines interleaved in
/// short bursts as <c>-f</c> interleaves processes; timestamps are re-stamped to rise steadily, a
/// <c>-T</c> duration is added where the capture had none, and some read/write buffers are widened to
/// long quoted strings (as <c>-s 1024</c> prints them). Each process keeps its own call sequence,
/// so a fingerprint learnt from the captures themselves holds every window of the generated log.
/// Sample output line:
/// <code>100042 01:13:11.962042 openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3 &lt;0.000009&gt;</code>
/// </remarks>
public static partial class StraceLogGenerator
{
    /// <summary>The captures replayed, relative to the strace test data folder; all were captured with <c>-o</c>.</summary>
    public static readonly IReadOnlyList<string> Sources =
    [
        "multi_f_tt_T.strace",
        "multi_f.strace",
        "unfinished_resumed.strace",
        "killed.strace",
        "single_all.strace",
        "single_X_verbose.strace",
        "single_yy_sockets.strace",
        "multi_ff/trace.4321",
        "multi_ff/trace.4322",
        "multi_ff/trace.4323",
    ];

    private const int Concurrent = 8;
    private const int FirstPid = 100_000;
    private const int PidMax = 4_194_304;

    // Payload widened into long quoted arguments, escaped the way strace prints it.
    private const string Payload =
        "GET /api/v1/inventory/items?page=17&size=50 HTTP/1.1\\r\\nHost: vm-07.internal.example\\r\\n" +
        "User-Agent: curl/8.5.0\\r\\nAccept: application/json\\r\\nX-Request-Id: 5f0c2a9e-4b1d-4e8a-9c2f\\r\\n\\r\\n" +
        "{\\\"id\\\":1842,\\\"name\\\":\\\"widget\\\",\\\"tags\\\":[\\\"blue\\\",\\\"small\\\"],\\\"price\\\":12.5}\\n" +
        "2026-11-25T01:13:11.962Z INFO worker[3] processed batch 91 in 12 ms\\n\\t\\0\\0\\0\\1\\377\\376" +
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt\\n";

    /// <summary>
    /// Finds the strace test data folder by walking up to the repository root from the working
    /// directory, then from the program's own folder.
    /// </summary>
    public static string FindSourceDirectory()
    {
        foreach (string start in (string[])[Environment.CurrentDirectory, AppContext.BaseDirectory])
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "tests", "Sysprint.Core.Tests", "TestData", "strace");
                if (File.Exists(Path.Combine(dir.FullName, "Sysprint.slnx")) && Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new DirectoryNotFoundException(
            $"no Sysprint repository above {Environment.CurrentDirectory} or {AppContext.BaseDirectory}: run from inside the repository");
    }

    /// <summary>Writes at least <paramref name="targetBytes"/> bytes (whole lines) to <paramref name="output"/>; returns the bytes and lines written.</summary>
    public static (long Bytes, long Lines) Generate(string sourceDirectory, long targetBytes, Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        List<Capture> captures = [.. Sources.Select(s => Load(Path.Combine(sourceDirectory, s)))];
        var rng = new SplitMix64(0x5959_5052_494E_5421UL);
        var running = new Run[Concurrent];
        int nextPid = FirstPid;
        for (int i = 0; i < running.Length; i++)
        {
            running[i] = Start(captures[i % captures.Count], ref nextPid);
        }

        byte[] buffer = new byte[1 << 20];
        int used = 0;
        long written = 0;
        long lines = 0;
        long micros = ((1 * 3600) + (13 * 60) + 11) * 1_000_000L;
        while (written + used < targetBytes)
        {
            int slot = (int)(rng.Next() % Concurrent);
            int burst = 1 + (int)(rng.Next() % 6);
            for (int b = 0; b < burst; b++)
            {
                Run run = running[slot];
                if (run.Next == run.Capture.Lines.Count)
                {
                    run = Start(captures[(int)(rng.Next() % (ulong)captures.Count)], ref nextPid);
                    running[slot] = run;
                }

                Line line = run.Capture.Lines[run.Next++];
                micros += 1 + (long)(rng.Next() % 40);
                byte[] body = line.Variants[(int)(rng.Next() % (ulong)line.Variants.Length)];
                if (buffer.Length - used < body.Length + 64)
                {
                    output.Write(buffer, 0, used);
                    written += used;
                    used = 0;
                }

                used += WritePrefix(buffer.AsSpan(used), run.Pids[line.Process], micros);
                body.CopyTo(buffer, used);
                used += body.Length;
                if (line.AddDuration)
                {
                    used += WriteDuration(buffer.AsSpan(used), 1 + (int)(rng.Next() % 90));
                }

                buffer[used++] = (byte)'\n';
                lines++;
            }
        }

        output.Write(buffer, 0, used);
        written += used;
        return (written, lines);
    }

    private static Run Start(Capture capture, ref int nextPid)
    {
        var pids = new int[capture.Processes];
        for (int i = 0; i < pids.Length; i++)
        {
            pids[i] = nextPid++;
            if (nextPid >= PidMax)
            {
                nextPid = FirstPid;
            }
        }

        return new Run(capture, pids);
    }

    /// <summary>"PID   HH:MM:SS.ffffff " as strace -f -tt -o prints it (pid left-aligned in five columns).</summary>
    private static int WritePrefix(Span<byte> to, int pid, long micros)
    {
        pid.TryFormat(to, out int n, default, CultureInfo.InvariantCulture);
        do
        {
            to[n++] = (byte)' ';
        }
        while (n < 6);

        long day = micros % (24L * 3600 * 1_000_000);
        long seconds = day / 1_000_000;
        n += Two(to[n..], (int)(seconds / 3600));
        to[n++] = (byte)':';
        n += Two(to[n..], (int)(seconds / 60 % 60));
        to[n++] = (byte)':';
        n += Two(to[n..], (int)(seconds % 60));
        to[n++] = (byte)'.';
        ((int)(day % 1_000_000)).TryFormat(to[n..], out int f, "D6", CultureInfo.InvariantCulture);
        n += f;
        to[n++] = (byte)' ';
        return n;

        static int Two(Span<byte> to, int value)
        {
            to[0] = (byte)('0' + (value / 10));
            to[1] = (byte)('0' + (value % 10));
            return 2;
        }
    }

    private static int WriteDuration(Span<byte> to, int micros)
    {
        " <0.0000"u8.CopyTo(to);
        to[8] = (byte)('0' + (micros / 10));
        to[9] = (byte)('0' + (micros % 10));
        to[10] = (byte)'>';
        return 11;
    }

    private static Capture Load(string path)
    {
        var pids = new Dictionary<string, int>(StringComparer.Ordinal);
        var lines = new List<(int Process, string Body)>();
        bool timed = false;
        foreach (string raw in File.ReadLines(path))
        {
            Match m = PrefixPattern().Match(raw);
            string pid = m.Groups["pid"].Value;
            int process = 0;
            if (pid.Length > 0 && !pids.TryGetValue(pid, out process))
            {
                process = pids.Count;
                pids[pid] = process;
            }

            string body = m.Groups["body"].Value;
            timed |= DurationPattern().IsMatch(body);
            lines.Add((process, body));
        }

        var result = new List<Line>(lines.Count);
        foreach ((int process, string body) in lines)
        {
            bool completes = body.Contains(" = ", StringComparison.Ordinal) && !body.EndsWith("= ?", StringComparison.Ordinal);
            result.Add(new Line(process, Variants(body), AddDuration: !timed && completes));
        }

        return new Capture(Math.Max(1, pids.Count), result);
    }

    /// <summary>The body as captured, plus widened copies when it carries a data buffer.</summary>
    private static byte[][] Variants(string body)
    {
        byte[] original = Encoding.ASCII.GetBytes(body);
        Match m = BufferPattern().Match(body);
        if (!m.Success)
        {
            return [original];
        }

        // Half the time as captured (-s 32), otherwise 128 to 1024 payload bytes (-s 1024).
        var variants = new List<byte[]> { original, original, original };
        foreach (int length in (int[])[128, 256, 1024])
        {
            var text = new StringBuilder();
            while (text.Length < length)
            {
                text.Append(Payload);
            }

            string widened = string.Concat(body.AsSpan(0, m.Groups["str"].Index), text.ToString(0, length), body.AsSpan(m.Groups["str"].Index + m.Groups["str"].Length));
            variants.Add(Encoding.ASCII.GetBytes(widened));
        }

        return [.. variants];
    }

    [GeneratedRegex(@"^(?:(?<pid>\d+) +)?(?:(?:\d\d:\d\d:\d\d(?:\.\d+)?|\d+\.\d+) +)?(?:\[ *\d+\] )?(?:\[[0-9a-f?]+\] )?(?<body>.*)$")]
    private static partial Regex PrefixPattern();

    [GeneratedRegex(@" <\d+\.\d+>$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(?:read|write|pread64|pwrite64|recvfrom|sendto)\([^,]*, ""(?<str>(?:[^""\\]|\\.)*)""")]
    private static partial Regex BufferPattern();

    private sealed record Capture(int Processes, List<Line> Lines);

    private sealed record Line(int Process, byte[][] Variants, bool AddDuration);

    private sealed class Run(Capture capture, int[] pids)
    {
        public Capture Capture { get; } = capture;

        public int[] Pids { get; } = pids;

        public int Next { get; set; }
    }

    /// <summary>A fixed, portable pseudo-random sequence (System.Random's seeded output is not promised stable).</summary>
    private struct SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}

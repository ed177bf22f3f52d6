using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Sysprint.Cli.Tests.Support;

namespace Sysprint.Cli.Tests.Hostile;

/// <summary>
/// Hostile logs and paths through <c>train</c> and <c>check</c> in-process: each gets a verdict or
/// one located error on stderr with exit 65/66 (64 for a bad limit), never a stack trace or a hang.
/// </summary>
public sealed class HostileCliTests : IDisposable
{
    private readonly CliSandbox _cli = new();
    private readonly string _db;

    public HostileCliTests()
    {
        _db = _cli.Db();
    }

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Random_bytes_are_refused_by_check_with_a_location_and_exit_65()
    {
        Train();
        byte[] bytes = new byte[64 * 1024];
        new Random(7).NextBytes(bytes);
        string log = _cli.WriteBytes("random.bin", bytes);

        CliResult result = _cli.Run("check", "--db", _db, log);

        Assert.Equal(65, result.Exit);
        Assert.StartsWith($"sysprint: error: {log}:1:1: cannot tell the log format: ", result.Error, StringComparison.Ordinal);
        Assert.Single(result.ErrorLines);
        Assert.Equal("", result.Out);
        Expect.NoStackTrace(result);
    }

    [Fact]
    public void Dev_zero_named_directly_is_refused_from_its_first_block()
    {
        SkipWithout("/dev/zero");
        Train();

        CliResult result = _cli.Run("check", "--db", _db, "/dev/zero");

        Expect.Failure(result, 65,
            "/dev/zero:1:1: cannot tell the log format: expected strace, NtTrace, ADFA-LD or UNM lines, found binary data (byte 0x00 at column 1) (use --format to say which)");
    }

    [Fact]
    public void Dev_null_named_directly_is_an_empty_log()
    {
        SkipWithout("/dev/null");
        Train();

        CliResult result = _cli.Run("check", "--db", _db, "/dev/null");

        Expect.Failure(result, 65, "/dev/null:1:1: the log is empty");
    }

    [Fact]
    public void Fifo_and_device_links_in_a_scanned_directory_are_skipped_without_blocking()
    {
        SkipWithout("/dev/zero");
        string dir = Directory.CreateDirectory(_cli.PathOf("spool")).FullName;
        MakeFifo(Path.Combine(dir, "a.fifo"));
        File.CreateSymbolicLink(Path.Combine(dir, "b.zero"), "/dev/zero");
        File.CreateSymbolicLink(Path.Combine(dir, "c.null"), "/dev/null");
        string log = Path.Combine(dir, "d.strace");
        File.Copy(Fixtures.Strace("single_plain"), log);

        CliResult result = _cli.Run("train", "--db", _db, dir);

        Assert.Equal(0, result.Exit);
        Assert.Equal(
            $"""
            sysprint: {dir}/a.fifo: skipped: empty or not a regular file (FIFO, socket, device)
            sysprint: {dir}/b.zero: skipped: empty or not a regular file
            sysprint: {dir}/c.null: skipped: empty or not a regular file

            """, result.Error);
        Assert.StartsWith($"learnt   {log}  45 syscalls", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Directory_link_loop_in_a_scanned_directory_is_not_followed()
    {
        string dir = Directory.CreateDirectory(_cli.PathOf("spool")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(dir, "loop"), dir);
        File.Copy(Fixtures.Strace("single_plain"), Path.Combine(dir, "run.strace"));

        CliResult result = _cli.Run("train", "--db", _db, dir);

        Assert.Equal(0, result.Exit);
        Assert.Equal($"sysprint: {dir}/loop: symbolic link to a directory, not followed\n", result.Error);
        Assert.Contains("1 log: 1 learnt", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Million_live_pids_are_refused_naming_the_thread_limit_then_judged_once_it_is_raised()
    {
        Train();
        string log = WriteLines("pids.strace", 1_000_000, i => $"{i + 1}  close(1) = 0\n");

        CliResult refused = _cli.Run("check", "--db", _db, log);
        CliResult judged = _cli.Run("check", "--db", _db, "--max-threads", "1000000", log);

        Expect.Failure(refused, 65, $"{log}:100001:1: more than 100000 threads alive at once (raise the limit with --max-threads)");
        Assert.Equal("", refused.Out);
        Assert.Equal(0, judged.Exit);
        Assert.Equal($"normal     {log}  1,000,000 syscalls match profile 'default'\n", judged.Out);
    }

    [Fact]
    public void Twenty_thousand_unknown_names_fail_at_the_first_in_strict_mode()
    {
        string log = WriteLines("names.strace", 20_000, i => $"1  fn{i}(0) = 0\n");

        CliResult result = _cli.Run("train", "--db", _db, log);

        Assert.Equal(65, result.Exit);
        Assert.Equal(
            $"sysprint: error: {log}:1:4: unknown system call 'fn0': not in the mapping (x86_64); use --learn-names to learn new names or --mapping FILE to give them numbers\n",
            result.Error);
    }

    [Fact]
    public void Twenty_thousand_names_to_learn_stop_at_the_call_limit_and_learn_nothing()
    {
        Train();
        string log = WriteLines("names.strace", 20_000, i => $"1  fn{i}(0) = 0\n");

        CliResult check = _cli.Run("check", "--db", _db, "--learn-names", log);
        CliResult train = _cli.Run("train", "--db", _db, "--learn-names", log);
        CliResult mapping = _cli.Run("mapping", "--db", _db);

        // check grows no fingerprint, only the names; train's fingerprint already holds 20 calls.
        Expect.Failure(check, 65, $"{log}:4097:1: more than 4096 new system call names (raise the limit with --max-calls, up to 65536)");
        Assert.Equal(65, train.Exit);
        Assert.Equal($"sysprint: error: {log}:4077:1: more than 4096 distinct system calls in one fingerprint (raise the limit with --max-calls, up to 65536)\n", train.Error);
        Assert.DoesNotContain("fn0", mapping.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Distinct_numbers_past_the_call_limit_are_refused_by_train_then_learnt_once_it_is_raised()
    {
        string log = _cli.Write("wide.adfa", string.Join(' ', Enumerable.Range(0, 5000).Select(i => 1000 + i)) + " ");

        CliResult refused = _cli.Run("train", "--db", _db, "--format", "adfa", log);
        CliResult learnt = _cli.Run("train", "--db", _db, "--format", "adfa", "--max-calls", "8192", log);

        Assert.Equal(65, refused.Exit);
        Assert.Equal($"sysprint: error: {log}:1:1: more than 4096 distinct system calls in one fingerprint (raise the limit with --max-calls, up to 65536)\n", refused.Error);
        Assert.Equal(0, learnt.Exit);
        Assert.StartsWith($"learnt   {log}  5,000 syscalls, +4,999 transitions", learnt.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--max-calls", "0", "--max-calls must be from 1 to 65536")]
    [InlineData("--max-calls", "65537", "--max-calls must be from 1 to 65536")]
    [InlineData("--max-threads", "0", "--max-threads must be at least 1")]
    public void Limits_out_of_range_are_usage_errors(string option, string value, string message)
    {
        CliResult result = _cli.Run("check", "--db", _db, option, value, Fixtures.Strace("single_plain"));

        Assert.Equal(64, result.Exit);
        Assert.Equal($"sysprint: error: {message}\nTry 'sysprint check --help'.\n", result.Error);
    }

    [Fact]
    public void Calls_hidden_behind_carriage_returns_are_refused_not_judged_normal()
    {
        Train();
        string log = _cli.Write("cr.strace", "read(0, \"\", 1) = 0\rsocket(AF_INET, SOCK_STREAM, 0) = 3\rconnect(3, ...) = 0\n");

        CliResult result = _cli.Run("check", "--db", _db, log);

        Expect.Failure(result, 65, $"{log}:1:19: expected text, found byte 0x0D (a carriage return inside a line: lines must end in LF or CRLF)");
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void Overlong_name_with_learn_names_is_refused_and_never_reaches_the_mapping()
    {
        string name = new('a', 100_000);
        string log = _cli.Write("long.strace", $"1  read(0) = 0\n1  {name}(0) = 0\n");

        CliResult result = _cli.Run("train", "--db", _db, "--format", "strace", "--learn-names", log);

        Assert.Equal(65, result.Exit);
        Assert.Equal($"sysprint: error: {log}:2:4: expected a system call name of at most 128 characters, found 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'...\n", result.Error);
    }

    [Fact]
    public void Gzip_bomb_is_refused_from_its_first_block()
    {
        Train();
        string log = _cli.PathOf("bomb.strace.gz");
        using (FileStream file = File.Create(log))
        using (var gzip = new GZipStream(file, CompressionLevel.Optimal))
        {
            byte[] zeros = new byte[1024 * 1024];
            for (int i = 0; i < 1024; i++)
            {
                gzip.Write(zeros);
            }
        }

        var clock = Stopwatch.StartNew();
        CliResult result = _cli.Run("check", "--db", _db, log);

        Expect.Failure(result, 65,
            $"{log}:1:1: cannot tell the log format: expected strace, NtTrace, ADFA-LD or UNM lines, found binary data (byte 0x00 at column 1) (use --format to say which)");
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Terminal_escape_in_a_log_never_reaches_the_terminal()
    {
        Train();
        string log = _cli.Write("esc.strace", "1  openat(AT_FDCWD, \"\u001b]0;owned\u0007\u001b[2J\", O_RDONLY) = 3\n1  close(3) = 0\n");

        CliResult result = _cli.Run("check", "--db", _db, log);

        Expect.Failure(result, 65, $"{log}:1:22: expected text, found byte 0x1B (binary data?)");
        Assert.DoesNotContain('\u001b', result.Error + result.Out);
    }

    [Fact]
    public void Utf16_log_is_refused_by_train_as_binary()
    {
        var utf16 = new UnicodeEncoding(false, true);
        string log = _cli.WriteBytes("utf16.strace", [.. utf16.GetPreamble(), .. utf16.GetBytes(File.ReadAllText(Fixtures.Strace("single_plain")))]);

        CliResult result = _cli.Run("train", "--db", _db, log);

        Assert.Equal(65, result.Exit);
        Assert.Equal(
            $"sysprint: error: {log}:1:1: cannot tell the log format: expected strace, NtTrace, ADFA-LD or UNM lines, found binary data (byte 0x00 at column 4) (use --format to say which)\n",
            result.Error);
        Assert.False(File.Exists(_db) && _cli.Run("stats", "--db", _db).Out.Contains("default", StringComparison.Ordinal));
    }

    [Fact]
    public void Nttrace_exit_note_without_an_id_is_judged_not_a_crash()
    {
        // Found by fuzzing the NtTrace reader: this line threw ArgumentOutOfRangeException (exit 70).
        string log = _cli.Write("nt.txt", "NtClose(Handle=0x14) => 0\nThread exit code: 0\nNtClose(Handle=0x14) => 0\n");
        _cli.RunOk("train", "--db", _db, "--profile", "nt", log);

        CliResult result = _cli.Run("check", "--db", _db, "--profile", "nt", log);

        Assert.Equal(0, result.Exit);
        Assert.Equal($"normal     {log}  2 syscalls match profile 'nt'\n", result.Out);
    }

    private void Train() => _cli.RunOk("train", "--db", _db, Fixtures.Strace("single_plain"));

    private string WriteLines(string name, int count, Func<int, string> line)
    {
        string path = _cli.PathOf(name);
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        for (int i = 0; i < count; i++)
        {
            writer.Write(line(i));
        }

        return path;
    }

    private static void SkipWithout(string path)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(path))
        {
            Assert.Skip($"no {path} on this system");
        }
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("mkfifo did not start");
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }
}

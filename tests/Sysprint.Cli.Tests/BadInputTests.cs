using System.Text;
using Microsoft.Data.Sqlite;
using Sysprint.Cli.Tests.Support;

namespace Sysprint.Cli.Tests;

/// <summary>
/// The bad inputs of issue 2 item 7 through <c>check</c> and <c>train</c>: each gets its whole
/// message (with <c>path:line:col</c> where there is one) and its exit code, never a stack trace.
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private const string UnknownFrob =
        "unknown system call 'frob': not in the mapping (x86_64); use --learn-names to learn new names or --mapping FILE to give them numbers";

    private const string Truncated = "expected a newline: the log ends in the middle of a line (truncated?), found the end of the line";

    private readonly CliSandbox _cli = new();
    private readonly string _db;

    public BadInputTests()
    {
        _db = _cli.Db();
    }

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Binary_garbage_is_refused_by_check_as_an_unknown_format()
    {
        Train("single_plain");
        string log = _cli.WriteBytes("core.bin", Elf());

        CliResult result = _cli.Run("check", "--db", _db, log);

        Expect.Failure(result, 65,
            $"{log}:1:1: cannot tell the log format: expected strace, NtTrace, ADFA-LD or UNM lines, found binary data (byte 0x7F at column 1) (use --format to say which)");
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void Binary_garbage_is_refused_by_train_and_counted_as_failed()
    {
        string log = _cli.WriteBytes("core.bin", Elf());

        CliResult result = _cli.Run("train", "--db", _db, log);

        Assert.Equal(65, result.Exit);
        Assert.Equal(
            $"sysprint: error: {log}:1:1: cannot tell the log format: expected strace, NtTrace, ADFA-LD or UNM lines, found binary data (byte 0x7F at column 1) (use --format to say which)\n",
            result.Error);
        Assert.Equal("1 log: 0 learnt, 0 already learnt, 1 failed; 0 syscalls read\n", result.Out);
    }

    [Fact]
    public void Binary_garbage_read_as_strace_is_located_at_its_first_control_byte()
    {
        Train("single_plain");
        string log = _cli.WriteBytes("core.bin", Elf());

        CliResult result = _cli.Run("check", "--db", _db, "--format", "strace", log);

        Expect.Failure(result, 65, $"{log}:1:1: expected text, found byte 0x7F (binary data?)");
    }

    [Fact]
    public void Truncated_last_line_is_located_at_its_end_by_check()
    {
        Train("single_plain");
        string log = _cli.Write("truncated.strace", TruncatedSinglePlain());

        CliResult result = _cli.Run("check", "--db", _db, log);

        Expect.Failure(result, 65, $"{log}:45:14: {Truncated}");
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void Truncated_last_line_is_located_at_its_end_by_train()
    {
        string log = _cli.Write("truncated.strace", TruncatedSinglePlain());

        CliResult result = _cli.Run("train", "--db", _db, log);

        Assert.Equal(65, result.Exit);
        Assert.Equal($"sysprint: error: {log}:45:14: {Truncated}\n", result.Error);
        Assert.Equal("1 log: 0 learnt, 0 already learnt, 1 failed; 0 syscalls read\n", result.Out);
    }

    [Fact]
    public void Failed_log_does_not_stop_train_from_learning_the_others()
    {
        string log = _cli.Write("truncated.strace", TruncatedSinglePlain());

        CliResult result = _cli.Run("train", "--db", _db, log, Fixtures.Strace("single_plain"));

        Assert.Equal(65, result.Exit);
        Assert.Equal($"sysprint: error: {log}:45:14: {Truncated}\n", result.Error);
        Assert.Equal(
            $"""
            learnt   {Fixtures.Strace("single_plain")}  45 syscalls, +37 transitions, fingerprint 'default' 37
            2 logs: 1 learnt, 0 already learnt, 1 failed; 45 syscalls read
            profile 'default': 37 transitions over 20 calls, 1 log learnt; the last log learnt added 37 transitions: not stable yet, learn more normal runs

            """, result.Out);
    }

    [Fact]
    public void Failed_log_does_not_stop_check_from_judging_the_others_and_outranks_their_verdict()
    {
        Train("single_plain");
        string log = _cli.Write("truncated.strace", TruncatedSinglePlain());

        CliResult result = _cli.Run("check", "--db", _db, Fixtures.Strace("unknown_syscall"), log);

        Expect.Failure(result, 65, $"{log}:45:14: {Truncated}");
        Assert.StartsWith($"ANOMALOUS  {Fixtures.Strace("unknown_syscall")}  8 mismatches", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Failed_train_leaves_no_empty_profile_behind()
    {
        string log = _cli.Write("truncated.strace", TruncatedSinglePlain());
        Assert.Equal(65, _cli.Run("train", "--db", _db, log).Exit);

        CliResult result = _cli.Run("check", "--db", _db, Fixtures.Strace("single_plain"));

        Expect.Failure(result, 66, $"{_db}: no profile 'default' (profiles: none); learn it first with 'sysprint train --profile default'");
    }

    [Theory]
    [InlineData("check")]
    [InlineData("train")]
    public void Line_over_1_MiB_is_refused_naming_the_limit_and_the_option(string command)
    {
        Train("single_plain", db: _cli.Db("other.db"));
        string log = _cli.Write("long.strace", LongLineLog());

        CliResult result = _cli.Run(command, "--db", command == "check" ? _cli.Db("other.db") : _db, log);

        Assert.Equal(65, result.Exit);
        Assert.StartsWith($"sysprint: error: {log}:2:1: line longer than 1048576 bytes (raise the limit with --max-line-bytes)\n", result.Error, StringComparison.Ordinal);
        Expect.NoStackTrace(result);
    }

    [Fact]
    public void Max_line_bytes_raises_the_limit()
    {
        string log = _cli.Write("long.strace", LongLineLog());

        CliResult train = _cli.Run("train", "--db", _db, "--max-line-bytes", "2000000", log);
        CliResult check = _cli.Run("check", "--db", _db, "--max-line-bytes", "2000000", log);

        Assert.Equal(0, train.Exit);
        Assert.StartsWith($"learnt   {log}  3 syscalls, +2 transitions", train.Out, StringComparison.Ordinal);
        Assert.Equal(0, check.Exit);
        Assert.Equal($"normal     {log}  3 syscalls match profile 'default'\n", check.Out);
    }

    [Fact]
    public void Max_line_bytes_below_256_is_a_usage_error()
    {
        CliResult result = _cli.Run("check", "--db", _db, "--max-line-bytes", "10", Fixtures.Strace("single_plain"));

        Assert.Equal(64, result.Exit);
        Assert.Equal("sysprint: error: --max-line-bytes must be at least 256\nTry 'sysprint check --help'.\n", result.Error);
    }

    [Theory]
    [InlineData("check")]
    [InlineData("train")]
    public void Empty_file_is_refused(string command)
    {
        Train("single_plain", db: _cli.Db("other.db"));
        string log = _cli.Write("empty.strace", "");

        CliResult result = _cli.Run(command, "--db", command == "check" ? _cli.Db("other.db") : _db, log);

        Assert.Equal(65, result.Exit);
        Assert.StartsWith($"sysprint: error: {log}:1:1: the log is empty\n", result.Error, StringComparison.Ordinal);
        Expect.NoStackTrace(result);
    }

    [Fact]
    public void File_of_blank_lines_is_refused_as_holding_no_calls()
    {
        string log = _cli.Write("blank.strace", "+++ exited with 0 +++\n");

        CliResult result = _cli.Run("train", "--db", _db, log);

        Assert.Equal(65, result.Exit);
        Assert.StartsWith($"sysprint: error: {log}:1:1: no system calls found in 1 line\n", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Directory_without_logs_is_refused_by_train()
    {
        string empty = Directory.CreateDirectory(_cli.PathOf("logs")).FullName;

        CliResult result = _cli.Run("train", "--db", _db, empty);

        Expect.Failure(result, 66, $"{empty}: no log files in this directory");
        Assert.False(File.Exists(_db));
    }

    [Fact]
    public void Directory_holding_only_an_empty_file_notes_the_skip_then_finds_no_logs()
    {
        string dir = Directory.CreateDirectory(_cli.PathOf("logs")).FullName;
        string empty = _cli.Write("logs/empty.strace", "");

        CliResult result = _cli.Run("train", "--db", _db, dir);

        Assert.Equal(66, result.Exit);
        Assert.Equal(
            $"""
            sysprint: error: {dir}: no log files in this directory

            """, result.Error);
        Assert.DoesNotContain(empty, result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Unreadable_file_is_refused_with_exit_66()
    {
        if (OperatingSystem.IsWindows() || Environment.UserName == "root")
        {
            Assert.Skip("running as root (or on Windows): file permissions cannot make a file unreadable to this process");
        }

        Train("single_plain");
        string log = _cli.Write("secret.strace", File.ReadAllText(Fixtures.Strace("single_plain")));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(log, UnixFileMode.None);
        }

        CliResult result = _cli.Run("check", "--db", _db, log);

        Expect.Failure(result, 66, $"{log}: cannot read: permission denied");
    }

    [Fact]
    public void Symlink_loop_named_directly_is_refused_with_exit_66()
    {
        Train("single_plain");
        string a = _cli.PathOf("a.strace");
        string b = _cli.PathOf("b.strace");
        File.CreateSymbolicLink(a, b);
        File.CreateSymbolicLink(b, a);

        CliResult result = _cli.Run("check", "--db", _db, a);

        Expect.Failure(result, 66, $"{a}: looping symbolic link (too many levels of links)");
    }

    [Fact]
    public void Symlink_loop_named_directly_is_refused_by_train_with_exit_66()
    {
        string a = _cli.PathOf("a.strace");
        string b = _cli.PathOf("b.strace");
        File.CreateSymbolicLink(a, b);
        File.CreateSymbolicLink(b, a);

        CliResult result = _cli.Run("train", "--db", _db, a);

        Expect.Failure(result, 66, $"{a}: looping symbolic link (too many levels of links)");
        Assert.Equal("", result.Out);
        Assert.False(File.Exists(_db));
    }

    [Fact]
    public void Symlink_loop_inside_a_directory_is_skipped_with_a_note()
    {
        string dir = Directory.CreateDirectory(_cli.PathOf("logs")).FullName;
        string a = Path.Combine(dir, "a.strace");
        string b = Path.Combine(dir, "b.strace");
        File.CreateSymbolicLink(a, b);
        File.CreateSymbolicLink(b, a);
        File.Copy(Fixtures.Strace("single_plain"), Path.Combine(dir, "c.strace"));

        CliResult result = _cli.Run("train", "--db", _db, dir);

        Assert.Equal(0, result.Exit);
        Assert.Equal(
            $"""
            sysprint: {a}: skipped: Too many levels of symbolic links in '{a}'.
            sysprint: {b}: skipped: Too many levels of symbolic links in '{b}'.

            """, result.Error);
        Assert.StartsWith($"learnt   {Path.Combine(dir, "c.strace")}  45 syscalls", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Mixed_formats_in_one_file_are_refused_at_the_first_foreign_line()
    {
        Train("single_plain");
        string log = _cli.Write("mixed.log", MixedLog());

        CliResult result = _cli.Run("check", "--db", _db, log);

        Expect.Failure(result, 65,
            $"{log}:6:1: expected a strace line (this is an NtTrace call: are formats mixed?), found 'NtOpenFile(FileHandle=0x12fb38 [0x14], D'...");
    }

    [Fact]
    public void Mixed_formats_in_one_file_are_refused_by_train()
    {
        string log = _cli.Write("mixed.log", MixedLog());

        CliResult result = _cli.Run("train", "--db", _db, log);

        Assert.Equal(65, result.Exit);
        Assert.Equal(
            $"sysprint: error: {log}:6:1: expected a strace line (this is an NtTrace call: are formats mixed?), found 'NtOpenFile(FileHandle=0x12fb38 [0x14], D'...\n",
            result.Error);
    }

    [Fact]
    public void Unknown_syscall_name_is_refused_in_strict_mode()
    {
        Train("single_plain");
        string log = _cli.Write("frob.strace", "4321  close(1) = 0\n4321  frob(1) = 0\n4321  exit_group(0) = ?\n");

        CliResult result = _cli.Run("check", "--db", _db, log);

        Expect.Failure(result, 65, $"{log}:2:7: {UnknownFrob}");
    }

    [Fact]
    public void Unknown_syscall_name_is_refused_by_train_in_strict_mode()
    {
        string log = _cli.Write("frob.strace", "close(1) = 0\nfrob(1) = 0\nexit_group(0) = ?\n");

        CliResult result = _cli.Run("train", "--db", _db, log);

        Assert.Equal(65, result.Exit);
        Assert.Equal($"sysprint: error: {log}:2:1: {UnknownFrob}\n", result.Error);
    }

    [Fact]
    public void Learn_names_lets_an_unknown_syscall_name_through()
    {
        string log = _cli.Write("frob.strace", "close(1) = 0\nfrob(1) = 0\nexit_group(0) = ?\n");

        CliResult train = _cli.Run("train", "--db", _db, "--learn-names", log);
        CliResult check = _cli.Run("check", "--db", _db, log);
        CliResult show = _cli.Run("show", "--db", _db);

        Assert.Equal(0, train.Exit);
        Assert.Equal("", train.Error);
        Assert.Equal(0, check.Exit);
        Assert.Equal($"normal     {log}  3 syscalls match profile 'default'\n", check.Out);
        Assert.Contains("close(3) → frob\n", show.Out, StringComparison.Ordinal);
        Assert.Contains("frob(100000) → exit_group\n", show.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Learn_names_on_check_reports_the_new_name_as_a_mismatch()
    {
        Train("single_plain");
        string log = _cli.Write("frob.strace", "close(1) = 0\nfrob(1) = 0\nexit_group(0) = ?\n");

        CliResult result = _cli.Run("check", "--db", _db, "--learn-names", log);

        Assert.Equal(1, result.Exit);
        Assert.Equal(
            $"""
            ANOMALOUS  {log}  2 mismatches (2 distinct) in 3 syscalls, profile 'default'
                line 2  pid 0  close(3) → frob(100000)
                line 3  pid 0  frob(100000) → exit_group(231)

            """, result.Out);
    }

    [Theory]
    [InlineData("check", "single_plain")]
    [InlineData("train", "single_t")]
    public void Locked_store_exits_74_with_the_locked_message(string command, string fixture)
    {
        Train("single_plain");
        using var holder = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _db, Pooling = false }.ToString());
        holder.Open();
        using (SqliteCommand begin = holder.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            begin.ExecuteNonQuery();
        }

        _cli.Environment["SYSPRINT_BUSY_TIMEOUT"] = "1";

        CliResult result = _cli.Run(command, "--db", _db, Fixtures.Strace(fixture));

        Assert.Equal(74, result.Exit);
        Assert.Equal($"sysprint: error: {_db}: the store is locked by another process (waited 1 s); try again when it has finished\n", result.Error);
        Expect.NoStackTrace(result);
    }

    [Fact]
    public void Corrupt_store_exits_74()
    {
        Train("single_plain");
        Train("multi_f");
        using (var file = new FileStream(_db, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(8192);
        }

        CliResult result = _cli.Run("check", "--db", _db, Fixtures.Strace("single_plain"));

        Expect.Failure(result, 74, $"{_db}: the store is corrupt (database disk image is malformed)");
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void Skip_malformed_counts_the_skipped_lines_shows_the_first_5_and_still_finds_the_anomaly()
    {
        Train("single_plain");
        var text = new StringBuilder();
        text.Append("100   close(1) = 0\n");
        for (int i = 0; i < 7; i++)
        {
            text.Append("100   CLOSE(2) = 0\n");
        }

        text.Append("100   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3\n100   exit_group(0) = ?\n");
        string log = _cli.Write("noisy.strace", text.ToString());

        CliResult result = _cli.Run("check", "--db", _db, "--skip-malformed", log);

        Assert.Equal(1, result.Exit);
        string bad = "expected a system call name (lowercase letters, digits, '_'), found 'CLOSE(2) = 0'";
        Assert.Equal(
            $"""
            sysprint: {log}: skipped 7 malformed lines, first ones:
              {log}:2:7: {bad}
              {log}:3:7: {bad}
              {log}:4:7: {bad}
              {log}:5:7: {bad}
              {log}:6:7: {bad}

            """, result.Error);
        Assert.Equal(
            $"""
            ANOMALOUS  {log}  2 mismatches (2 distinct) in 3 syscalls, profile 'default'
                line 9  pid 100  close(3) → socket(41)
                line 10  pid 100  socket(41) → exit_group(231)

            """, result.Out);
    }

    [Fact]
    public void Skip_malformed_still_calls_a_clean_log_normal()
    {
        Train("single_plain");
        string log = _cli.Write("mixed.log", MixedLog());

        CliResult result = _cli.Run("check", "--db", _db, "--skip-malformed", log);

        Assert.Equal(0, result.Exit);
        Assert.Equal($"normal     {log}  5 syscalls match profile 'default'\n", result.Out);
        Assert.Equal(
            $"""
            sysprint: {log}: skipped 2 malformed lines, first ones:
              {log}:6:1: expected a strace line (this is an NtTrace call: are formats mixed?), found 'NtOpenFile(FileHandle=0x12fb38 [0x14], D'...
              {log}:7:1: expected a strace line (this is an NtTrace call: are formats mixed?), found 'NtClose(Handle=0x14) => 0'

            """, result.Error);
    }

    [Fact]
    public void Skip_malformed_on_train_reports_the_skipped_lines_and_learns_the_rest()
    {
        string log = _cli.Write("mixed.log", MixedLog());

        CliResult result = _cli.Run("train", "--db", _db, "--skip-malformed", log);

        Assert.Equal(0, result.Exit);
        Assert.StartsWith($"sysprint: {log}: skipped 2 malformed lines, first ones:\n", result.Error, StringComparison.Ordinal);
        Assert.StartsWith($"learnt   {log}  5 syscalls, +4 transitions", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Skip_malformed_with_a_json_check_keeps_stdout_pure_json()
    {
        Train("single_plain");
        string log = _cli.Write("mixed.log", MixedLog());

        CliResult result = _cli.Run("check", "--db", _db, "--skip-malformed", "--json", log);

        Assert.Equal(0, result.Exit);
        using var json = System.Text.Json.JsonDocument.Parse(result.Out);
        Assert.Equal(2, json.RootElement.GetProperty("skipped_lines").GetInt32());
        Assert.Equal("normal", json.RootElement.GetProperty("verdict").GetString());
    }

    private void Train(string fixture, string? db = null) => _cli.RunOk("train", "--db", db ?? _db, Fixtures.Strace(fixture));

    /// <summary>An ELF header and some binary after it: what a user gets by passing a program instead of its trace.</summary>
    private static byte[] Elf()
    {
        byte[] bytes = new byte[4096];
        new Random(11).NextBytes(bytes);
        byte[] header = [0x7F, (byte)'E', (byte)'L', (byte)'F', 0x02, 0x01, 0x01, 0x00];
        header.CopyTo(bytes, 0);
        return bytes;
    }

    /// <summary>single_plain cut after <c>exit_group(0)</c> on its 45th line.</summary>
    private static string TruncatedSinglePlain()
    {
        string text = File.ReadAllText(Fixtures.Strace("single_plain"));
        return text[..(text.IndexOf("exit_group(0)", StringComparison.Ordinal) + "exit_group(0)".Length)];
    }

    /// <summary>Three calls; the second line is a read whose string is over 1 MiB.</summary>
    private static string LongLineLog() =>
        "close(1) = 0\nread(3, \"" + new string('a', 1024 * 1024 + 10) + "\", 5) = 5\nexit_group(0) = ?\n";

    /// <summary>The first five lines of single_plain, then two NtTrace lines from FORMATS.md §2.</summary>
    private static string MixedLog()
    {
        string[] strace = File.ReadAllLines(Fixtures.Strace("single_plain"));
        return string.Join('\n', strace[..5]) + "\n" +
            """
            NtOpenFile(FileHandle=0x12fb38 [0x14], DesiredAccess==FILE_EXECUTE|SYNCHRONIZE, ObjectAttributes="\??\C:\WWW\NtTrace\", IoStatusBlock=0x0012FAE4 [0/1], ShareAccess=3, OpenOptions=0x21) => 0
            NtClose(Handle=0x14) => 0

            """;
    }
}

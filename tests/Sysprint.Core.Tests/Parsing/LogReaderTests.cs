using System.IO.Compression;
using System.Text;
using Sysprint.Core.Tests.Support;
using Sysprint.Diagnostics;
using Sysprint.Parsing;
using TempDir = Sysprint.TestSupport.TempDir;

namespace Sysprint.Core.Tests.Parsing;

/// <summary>Bad and unusual input through <see cref="LogReader"/>: every error located as path:line:col.</summary>
public sealed class LogReaderTests : IDisposable
{
    private const string UnknownFrob =
        "unknown system call 'frob': not in the mapping (x86_64)";

    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Truncated_last_line_is_refused_at_its_end()
    {
        string text = File.ReadAllText(TestFiles.StraceFixture("single_plain"));
        string truncated = text[..(text.IndexOf("exit_group(0)", StringComparison.Ordinal) + "exit_group(0)".Length)];

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(truncated, path: "single_plain.strace"));

        Assert.Equal("single_plain.strace:45:14: expected a newline: the log ends in the middle of a line (truncated?), found the end of the line", ex.Message);
        Assert.Equal(ErrorKind.MalformedInput, ex.Kind);
    }

    [Fact]
    public void Last_line_without_newline_that_is_not_a_call_is_accepted()
    {
        const string log = "close(1) = 0\nexit_group(0) = ?\n+++ exited with 0 +++";

        var (result, sink) = Logs.ReadText(log);

        Assert.Equal(2, result.Syscalls);
        Assert.Equal(["call 0 3 @1", "call 0 231 @2", "end 0"], sink.Events);
    }

    [Fact]
    public void Nul_byte_inside_a_line_is_located()
    {
        const string log = "close(1) = 0\nclo\0se(2) = 0\n";

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log));

        Assert.Equal("test.log:2:4: expected text, found byte 0x00 (binary data?)", ex.Message);
    }

    [Theory]
    [InlineData("frob(1) = 0\n", "test.log:1:1: " + UnknownFrob)]
    [InlineData("close(1) = 0\n4321  frob(1) = 0\n", "test.log:2:7: " + UnknownFrob)]
    [InlineData("close(1) = 0\n[pid  4321] 12:34:56.123456 frob(1) = 0\n", "test.log:2:29: " + UnknownFrob)]
    public void Unknown_name_in_strict_mode_is_located_with_its_name(string log, string message)
    {
        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log));

        Assert.Equal(message, ex.Message);
        Assert.Equal(ErrorKind.MalformedInput, ex.Kind);
        Assert.Equal(RemedyKind.LearnNamesOrMapping, ex.Remedy?.Kind);
    }

    [Fact]
    public void Unknown_name_equal_to_the_comm_is_located_at_the_call()
    {
        const string log = "close(1) = 0\n4321<frob> frob(1) = 0\n";

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log));

        Assert.Equal("test.log:2:12: " + UnknownFrob, ex.Message);
    }

    [Fact]
    public void Unknown_name_is_learnt_from_100000_when_asked()
    {
        const string log = "close(1) = 0\nfrob(1) = 0\nfrob(2) = 0\n";
        var table = Logs.X8664;

        var (_, sink) = Logs.ReadText(log, new LogReadOptions { LearnNames = true }, table);

        Assert.Equal([3, 100_000, 100_000], sink.Sequences[0].Numbers);
        Assert.Equal("frob", table.NameOf(100_000));
    }

    [Fact]
    public void Skip_malformed_counts_skipped_lines_and_keeps_the_first_five_locations()
    {
        const string log = "close(0) = 0\n"
            + "Close(1) = 0\n"
            + "close(2) = 0\n"
            + "[pid 12 close(3) = 0\n"
            + "frob(1) = 0\n"
            + "clo\0se(4) = 0\n"
            + "4321  open[3] = 0\n"
            + "[xyz] close(5) = 0\n"
            + "close(6) = 0\n"
            + "exit_group(0) = ?\n";

        var (result, sink) = Logs.ReadText(log, new LogReadOptions { SkipMalformed = true });

        Assert.Equal(6, result.SkippedLines);
        Assert.Equal(4, result.Syscalls);
        Assert.Equal([1L, 3L, 9L, 10L], sink.Sequences[0].Lines);
        Assert.Equal(
            [
                "test.log:2:1: expected a system call name (lowercase letters, digits, '_'), found 'Close(1) = 0'",
                "test.log:4:8: expected ']' after the process id, found ' close(3) = 0'",
                "test.log:5:1: " + UnknownFrob,
                "test.log:6:4: expected text, found byte 0x00 (binary data?)",
                "test.log:7:11: expected '(' after the system call name, found '[3] = 0'",
            ],
            result.FirstSkipped.Select(l => l.ToString()));
        Assert.Equal(RemedyKind.LearnNamesOrMapping, result.FirstSkipped[2].Remedy?.Kind);
    }

    [Fact]
    public void Skip_malformed_keeps_as_many_locations_as_asked()
    {
        const string log = "close(0) = 0\nClose(1) = 0\nClose(2) = 0\nClose(3) = 0\n";

        var (result, _) = Logs.ReadText(log, new LogReadOptions { SkipMalformed = true, MaxReportedSkips = 2 });

        Assert.Equal(3, result.SkippedLines);
        Assert.Equal([2L, 3L], result.FirstSkipped.Select(l => l.Line));
    }

    [Fact]
    public void Empty_file_is_refused()
    {
        string path = _temp.PathOf("empty.strace");
        File.WriteAllBytes(path, []);

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadFile(path));

        Assert.Equal($"{path}:1:1: the log is empty", ex.Message);
        Assert.Equal(ErrorKind.MalformedInput, ex.Kind);
    }

    [Fact]
    public void Empty_input_of_a_given_format_is_refused()
    {
        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText("", new LogReadOptions { Format = LogFormat.Strace }));

        Assert.Equal("test.log:1:1: the log is empty", ex.Message);
    }

    [Fact]
    public void Log_without_calls_is_refused_on_its_last_line()
    {
        const string log = "--- SIGCHLD {si_signo=SIGCHLD} ---\n+++ exited with 0 +++\n";

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log));

        Assert.Equal("test.log:2:1: no system calls found in 2 lines", ex.Message);
    }

    [Fact]
    public void Missing_file_is_reported_as_missing_input()
    {
        string path = _temp.PathOf("nope.strace");

        var ex = Assert.Throws<SysprintException>(() => Logs.ReadFile(path));

        Assert.Equal($"{path}: cannot read: no such file", ex.Message);
        Assert.Equal(ErrorKind.InputMissing, ex.Kind);
    }

    [Fact]
    public void Looping_symbolic_link_is_reported_as_unreadable()
    {
        string one = _temp.PathOf("loop1");
        string two = _temp.PathOf("loop2");
        File.CreateSymbolicLink(one, two);
        File.CreateSymbolicLink(two, one);

        var ex = Assert.Throws<SysprintException>(() => Logs.ReadFile(one));

        Assert.StartsWith($"{one}: cannot read: ", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorKind.InputMissing, ex.Kind);
    }

    [Fact]
    public void Crlf_lines_are_read_like_lf_lines()
    {
        string text = File.ReadAllText(TestFiles.StraceFixture("unfinished_resumed"));
        byte[] crlf = Encoding.UTF8.GetBytes(text.Replace("\n", "\r\n", StringComparison.Ordinal));

        var (_, lf) = Logs.ReadText(text);
        var (_, dos) = Logs.ReadBytes(crlf);

        Assert.Equal(151, dos.Calls);
        Assert.Equal(lf.Events, dos.Events);
    }

    [Fact]
    public void Gzip_compressed_log_is_read_transparently()
    {
        string plain = TestFiles.StraceFixture("multi_f");
        string compressed = _temp.PathOf("multi_f.strace.gz");
        using (FileStream output = File.Create(compressed))
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(File.ReadAllBytes(plain));
        }

        var (result, sink) = Logs.ReadFile(compressed);

        Assert.Equal(LogFormat.Strace, result.Format);
        Assert.Equal(192, result.Syscalls);
        Assert.Equal(Logs.ReadFile(plain).Sink.Events, sink.Events);
        Assert.Equal("sh", LogReader.FindProgram(compressed, new LogReadOptions()));
    }

    [Fact]
    public void Corrupt_gzip_is_malformed_input()
    {
        string path = _temp.PathOf("bad.gz");
        File.WriteAllBytes(path, [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadFile(path));

        Assert.StartsWith($"{path}:1:1: corrupt gzip data: ", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorKind.MalformedInput, ex.Kind);
    }

    [Fact]
    public void Truncated_gzip_is_refused()
    {
        byte[] text = File.ReadAllBytes(TestFiles.StraceFixture("single_plain"));
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(text);
        }

        string path = _temp.PathOf("cut.strace.gz");
        File.WriteAllBytes(path, buffer.ToArray()[..(int)(buffer.Length / 2)]);

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadFile(path));

        Assert.Equal(ErrorKind.MalformedInput, ex.Kind);
    }

    [Fact]
    public void Program_output_with_parentheses_in_a_stderr_capture_is_foreign()
    {
        const string log = "write(2, \"x\", 1x) = 1\nfiles: 3 copied\nusage: prog (see --help)\nexit_group(0) = ?\n+++ exited with 0 +++\n";

        var (result, _) = Logs.ReadText(log);

        Assert.Equal(2, result.ForeignLines);
        Assert.Equal(2, result.Syscalls);
    }

    // A line starting with a number reads as a "-f -o" pid prefix, after which only a call may follow:
    // such program output stays malformed (use --skip-malformed for stderr captures of chatty programs).
    [Fact]
    public void Program_output_starting_with_a_number_is_malformed()
    {
        const string log = "write(2, \"x\", 1x) = 1\n3 files copied\nexit_group(0) = ?\n";

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log));

        Assert.Equal("test.log:2:8: expected '(' after the system call name, found ' copied'", ex.Message);
    }
}

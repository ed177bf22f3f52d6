using System.IO.Compression;
using System.Text;
using Sysprint.Core.Tests.Support;
using Sysprint.Diagnostics;
using Sysprint.Mapping;
using Sysprint.Parsing;
using TempDir = Sysprint.TestSupport.TempDir;

namespace Sysprint.Core.Tests.Hostile;

/// <summary>
/// Logs an attacker on a monitored VM could shape, through <see cref="LogReader"/>: each gets the
/// calls it really holds or an error located as <c>path:line:col</c> (exit 65/66), never a crash,
/// a hang or a silently wrong reading. The bounded-memory cases are in <see cref="HostileMemoryTests"/>.
/// </summary>
public sealed class HostileLogTests : IDisposable
{
    private const string NtTraceHead = "Process 2428 starting at 4AD0B814 with command line \"cmd\"\nLoaded DLL at 77F40000 ntdll.dll\n";

    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(LogFormat.Auto)]
    [InlineData(LogFormat.Strace)]
    [InlineData(LogFormat.NtTrace)]
    [InlineData(LogFormat.Adfa)]
    [InlineData(LogFormat.Unm)]
    public void Random_bytes_are_refused_with_a_location_by_every_reader(LogFormat format)
    {
        var random = new Random(20261126);
        for (int round = 0; round < 200; round++)
        {
            byte[] bytes = new byte[random.Next(1, 4096)];
            random.NextBytes(bytes);

            var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadBytes(bytes, new LogReadOptions { Format = format }));

            Assert.InRange(ex.Line, 1, 4096);
            Assert.InRange(ex.Column, 1, 4097);
            Assert.StartsWith($"test.log:{ex.Line}:{ex.Column}: ", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Random_bytes_in_lenient_mode_are_skipped_or_refused_never_thrown_otherwise()
    {
        var random = new Random(42);
        for (int round = 0; round < 200; round++)
        {
            byte[] bytes = new byte[random.Next(1, 4096)];
            random.NextBytes(bytes);
            var options = new LogReadOptions { Format = LogFormat.Strace, SkipMalformed = true, LearnNames = true };

            try
            {
                var (result, _) = Logs.ReadBytes(bytes, options, SyscallTable.Builtin("x86_64"));
                Assert.True(result.SkippedLines > 0 || result.Syscalls > 0);
            }
            catch (MalformedInputException ex)
            {
                Assert.StartsWith($"test.log:{ex.Line}:{ex.Column}: ", ex.Message, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData("utf-16LE", "found binary data (byte 0x00 at column 4)")]
    [InlineData("utf-16BE", "found binary data (byte 0x00 at column 3)")]
    public void Utf16_log_is_refused_as_binary_with_the_byte_and_column(string encoding, string found)
    {
        Encoding utf16 = encoding == "utf-16LE" ? new UnicodeEncoding(false, true) : new UnicodeEncoding(true, true);
        byte[] bytes = [.. utf16.GetPreamble(), .. utf16.GetBytes("read(0, \"\", 1) = 0\nclose(0) = 0\n")];

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadBytes(bytes));

        Assert.Equal($"test.log:1:1: cannot tell the log format: expected strace, NtTrace, ADFA-LD or UNM lines, {found}", ex.Message);
    }

    [Fact]
    public void Utf8_byte_order_mark_is_located_at_the_start_of_the_first_line()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, .. "read(0, \"\", 1) = 0\nclose(0) = 0\n"u8];

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadBytes(bytes));

        Assert.Equal("test.log:1:1: expected a system call name (lowercase letters, digits, '_'), found '0xEF0xBB0xBFread(0, \"\", 1) = 0'", ex.Message);
    }

    [Fact]
    public void Nul_byte_inside_an_nttrace_line_is_located()
    {
        string log = NtTraceHead + "NtClose(Handle=0x\0c) => 0\n";

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log, new LogReadOptions { Format = LogFormat.NtTrace }));

        Assert.Equal("test.log:3:18: expected text, found byte 0x00 (binary data?)", ex.Message);
    }

    [Fact]
    public void Unfinished_calls_never_resumed_are_each_counted_once_at_entry()
    {
        var text = new StringBuilder();
        for (int pid = 1; pid <= 10_000; pid++)
        {
            text.Append(pid).Append("  read(0,  <unfinished ...>\n");
        }

        var (result, sink) = Logs.ReadText(text.ToString());

        Assert.Equal(10_000, result.Syscalls);
        Assert.Equal(10_000, sink.Sequences.Count);
    }

    [Fact]
    public void Resumptions_of_calls_never_started_hold_no_call()
    {
        string log = string.Concat(Enumerable.Repeat("1  <... read resumed>, \"\", 1) = 0\n", 10_000));

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log));

        Assert.Equal("test.log:10000:1: no system calls found in 10000 lines", ex.Message);
    }

    [Theory]
    [InlineData("1  syscall_0x7fffffff(0) = -1 ENOSYS\n", int.MaxValue)]
    [InlineData("1  [99999] frobnicate(0) = -1 ENOSYS\n", 99999)]
    [InlineData("1  [ 123456] read(0, \"\", 1) = 0\n", 0)]
    public void Huge_stated_syscall_numbers_are_taken_as_stated(string log, int number)
    {
        var (_, sink) = Logs.ReadText(log);

        Assert.Equal([number], Assert.Single(sink.Sequences).Numbers);
    }

    [Theory]
    [InlineData("1  syscall_0xffffffff(0) = -1 ENOSYS\n", "test.log:1:4: unknown system call 'syscall_0xffffffff': not in the mapping (x86_64)")]
    [InlineData("1  syscall_0x1ffffffffffffffff(0) = -1\n", "test.log:1:4: unknown system call 'syscall_0x1ffffffffffffffff': not in the mapping (x86_64)")]
    [InlineData("1  [-1] read(0) = 0\n", "test.log:1:5: expected a syscall number or an instruction pointer in brackets, found '-1] read(0) = 0'")]
    [InlineData("99999999999999999999  read(0) = 0\n", "test.log:1:1: expected a process id, found '99999999999999999999  read(0) = 0'")]
    [InlineData("[pid 99999999999999999999] read(0) = 0\n", "test.log:1:6: expected a process id after '[pid', found '99999999999999999999] read(0) = 0'")]
    [InlineData("[pid -5] read(0) = 0\n", "test.log:1:6: expected a process id after '[pid', found '-5] read(0) = 0'")]
    public void Out_of_range_numbers_in_strace_lines_are_located(string log, string message)
    {
        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log, new LogReadOptions { Format = LogFormat.Strace }));

        Assert.Equal(message, ex.Message);
    }

    [Theory]
    [InlineData("6 6 999999999 6 ", 4, 999_999_999)]
    [InlineData("0 0 ", 2, 0)]
    public void Adfa_numbers_up_to_nine_digits_are_calls(string log, int calls, int largest)
    {
        var (result, sink) = Logs.ReadText(log, new LogReadOptions { Format = LogFormat.Adfa });

        Assert.Equal(calls, result.Syscalls);
        Assert.Equal(largest, sink.Sequences[0].Numbers.Max());
    }

    [Theory]
    [InlineData("6 6 1234567890 6 ", "test.log:1:5: expected a decimal system call number, found '1234567890 6 '")]
    [InlineData("6 -6 6 ", "test.log:1:3: expected a decimal system call number, found '-6 6 '")]
    [InlineData("6 6e3 6 ", "test.log:1:4: expected a decimal system call number, found 'e3 6 '")]
    public void Adfa_numbers_out_of_range_are_located(string log, string message)
    {
        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log, new LogReadOptions { Format = LogFormat.Adfa }));

        Assert.Equal(message, ex.Message);
    }

    [Theory]
    [InlineData("551 5\n-551 3\n", "test.log:2:1: expected a process id (UNM lines are 'PID NUMBER'), found '-551 3'")]
    [InlineData("551 5\n551 -3\n", "test.log:2:5: expected a system call number after the process id, then the end of the line, found '-3'")]
    [InlineData("551 5\n551 99999999999\n", "test.log:2:5: expected a system call number after the process id, then the end of the line, found '99999999999'")]
    [InlineData("551 5\n9999999999 3\n", "test.log:2:1: expected a process id (UNM lines are 'PID NUMBER'), found '9999999999 3'")]
    public void Unm_negative_or_oversized_numbers_are_located(string log, string message)
    {
        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log, new LogReadOptions { Format = LogFormat.Unm }));

        Assert.Equal(message, ex.Message);
    }

    [Theory]
    [InlineData("[abc/def] NtClose(Handle=0xc) => 0\n")]
    [InlineData("[1/99999999999999999999] NtClose(Handle=0xc) => 0\n")]
    [InlineData("[/] NtClose(Handle=0xc) => 0\n")]
    [InlineData("[1/-7] NtClose(Handle=0xc) => 0\n")]
    [InlineData("[1/18446744073709551617] NtClose(Handle=0xc) => 0\n")]
    public void Nttrace_garbage_thread_ids_file_the_call_under_thread_0(string line)
    {
        var (result, sink) = Logs.ReadText(NtTraceHead + line, new LogReadOptions { Format = LogFormat.NtTrace });

        Assert.Equal(1, result.Syscalls);
        Assert.Equal(0, Assert.Single(sink.Sequences).Thread);
    }

    [Fact]
    public void Nttrace_pre_entry_lines_that_never_return_hold_no_call()
    {
        string log = NtTraceHead + string.Concat(Enumerable.Repeat("NtWaitForSingleObject(Handle=0x4, Alertable=false, Timeout=null) ...\n", 1000));

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log, new LogReadOptions { Format = LogFormat.NtTrace }));

        Assert.Equal("test.log:1002:1: no system calls found in 1002 lines", ex.Message);
    }

    [Fact]
    public void Syscall_name_longer_than_a_mapping_allows_is_refused_with_a_short_quote()
    {
        string name = new('a', 200_000);

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText($"1  {name}(0) = 0\n", new LogReadOptions { Format = LogFormat.Strace }));

        Assert.Equal("test.log:1:4: expected a system call name of at most 128 characters, found 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'...", ex.Message);
    }

    [Fact]
    public void Syscall_name_longer_than_a_mapping_allows_is_never_learnt()
    {
        string name = new('a', 129);
        SyscallTable table = SyscallTable.Builtin("x86_64");
        var options = new LogReadOptions { LearnNames = true, SkipMalformed = true };

        var (result, _) = Logs.ReadText($"1  read(0) = 0\n1  {name}(0) = 0\n1  {name[..128]}(0) = 0\n", options, table);

        Assert.Equal(1, result.SkippedLines);
        Assert.Equal(2, result.Syscalls);
        Assert.Equal([name[..128]], table.NewlyLearnt.Select(kv => kv.Value));
    }

    [Fact]
    public void Unknown_names_by_the_ten_thousand_fail_at_the_first_in_strict_mode()
    {
        string log = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"1  fn{i}(0) = 0\n"));

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log));

        Assert.Equal("test.log:1:4: unknown system call 'fn0': not in the mapping (x86_64)", ex.Message);
    }

    [Fact]
    public void Deep_nesting_and_quotes_inside_arguments_do_not_change_the_call()
    {
        string nested = new string('{', 100_000) + new string('}', 100_000);
        string quotes = string.Concat(Enumerable.Repeat("\\\") = 0\\nclose(\\\"", 10_000));
        string log = $"1  ioctl(3, {nested}, \"{quotes}\") = 0\n1  openat(AT_FDCWD, \"a) = 3\\n1  socket(\", O_RDONLY) = 3\n";

        var (result, sink) = Logs.ReadText(log);

        Assert.Equal(2, result.Syscalls);
        Assert.Equal("ioctl openat", sink.NamedSequences(Logs.X8664)[0]);
    }

    [Fact]
    public void Program_output_before_the_first_call_that_hides_the_format_is_refused_not_guessed()
    {
        string log = string.Concat(Enumerable.Repeat("progress: 42% done, please wait\n", 40)) + "read(0, \"\", 1) = 0\n";

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log));
        var (forced, _) = Logs.ReadText(log, new LogReadOptions { Format = LogFormat.Strace });

        Assert.Equal("test.log:1:1: cannot tell the log format: expected strace, NtTrace, ADFA-LD or UNM lines, found 'progress: 42% done, please wait'", ex.Message);
        Assert.Equal(1, forced.Syscalls);
        Assert.Equal(40, forced.ForeignLines);
    }

    [Fact]
    public void File_that_grows_while_read_gives_the_calls_it_held_when_read()
    {
        string path = _temp.PathOf("growing.strace");
        File.WriteAllText(path, string.Concat(Enumerable.Repeat("1  read(0, \"\", 1) = 0\n", 1000)));
        using Stream file = LogReader.OpenLog(path);
        using var appender = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        var growing = new ActingStream(file, () =>
        {
            appender.Write(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("1  close(0) = 0\n", 500))));
            appender.Flush();
        });

        var (result, sink) = Read(growing, new LogReadOptions { BufferSize = 4096 });

        Assert.Equal(1500, result.Syscalls);
        Assert.Equal(3, sink.Sequences[0].Numbers[^1]);
    }

    [Fact]
    public void File_that_shrinks_mid_line_while_read_is_refused_as_truncated()
    {
        string path = _temp.PathOf("shrinking.strace");
        File.WriteAllText(path, string.Concat(Enumerable.Repeat("1  read(0, \"\", 1) = 0\n", 1000)));
        using Stream file = LogReader.OpenLog(path);
        using var truncator = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        var shrinking = new ActingStream(file, () => truncator.SetLength((22 * 500) + 10));

        var ex = Assert.Throws<MalformedInputException>(() => Read(shrinking, new LogReadOptions { BufferSize = 4096 }));

        Assert.Equal("test.log:501:11: expected a newline: the log ends in the middle of a line (truncated?), found the end of the line", ex.Message);
    }

    [Fact]
    public void File_emptied_while_read_keeps_the_calls_already_read()
    {
        string path = _temp.PathOf("emptied.strace");
        File.WriteAllText(path, string.Concat(Enumerable.Repeat("1  read(0, \"\", 1) = 0\n", 1000)));
        using Stream file = LogReader.OpenLog(path);
        using var truncator = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        var emptied = new ActingStream(file, () => truncator.SetLength(0));

        // The first block (100 whole lines of 22 bytes) was read before the file emptied.
        var (result, _) = Read(emptied, new LogReadOptions { BufferSize = 2200 });

        Assert.Equal(100, result.Syscalls);
    }

    [Fact]
    public void Corrupt_gzip_member_after_a_good_one_is_refused()
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write("1  read(0, \"\", 1) = 0\n"u8);
        }

        buffer.Write([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF, 0xFF]);
        string path = _temp.PathOf("two.gz");
        File.WriteAllBytes(path, buffer.ToArray());

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadFile(path));

        Assert.StartsWith($"{path}:", ex.Message, StringComparison.Ordinal);
        Assert.Contains(": corrupt gzip data: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gzip_header_alone_is_refused()
    {
        string path = _temp.PathOf("header.gz");
        File.WriteAllBytes(path, [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]);

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadFile(path));

        Assert.Equal(ErrorKind.MalformedInput, ex.Kind);
        Assert.StartsWith($"{path}:1:1: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Device_file_named_directly_is_refused_from_its_first_block()
    {
        if (!File.Exists("/dev/zero"))
        {
            Assert.Skip("no /dev/zero on this system");
        }

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadFile("/dev/zero"));

        Assert.Equal("/dev/zero:1:1: cannot tell the log format: expected strace, NtTrace, ADFA-LD or UNM lines, found binary data (byte 0x00 at column 1)", ex.Message);
    }

    private static (LogReadResult Result, RecordingSink Sink) Read(Stream stream, LogReadOptions options)
    {
        var sink = new RecordingSink();
        LogReadResult result = LogReader.Read(stream, "test.log", Logs.X8664, options, sink);
        return (result, sink);
    }

    /// <summary>Does something to the file (grow, shrink) right after the reader's first read.</summary>
    private sealed class ActingStream(Stream inner, Action afterFirstRead) : ReadOnlyStream
    {
        private bool _acted;

        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            if (!_acted)
            {
                _acted = true;
                afterFirstRead();
            }

            return n;
        }
    }
}

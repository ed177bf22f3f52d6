using System.Text;
using Sysprint.Core.Tests.Support;
using Sysprint.Diagnostics;
using Sysprint.Mapping;
using Sysprint.Parsing;

namespace Sysprint.Core.Tests.Parsing;

/// <summary>Buffer boundaries: the same input through every small buffer size gives the same lines and calls.</summary>
public sealed class LineReaderTests
{
    private const string Lines = "first\n\nthird line, a little longer than the smallest buffer\r\nfourth\r\n\r\nx\nlast without newline";

    private static readonly string[] s_expectedLines =
        ["first", "", "third line, a little longer than the smallest buffer", "fourth", "", "x", "last without newline"];

    public static TheoryData<string, string> BoundaryLogs => new()
    {
        { "strace", TestFiles.StraceFixture("single_all") },
        { "strace", TestFiles.StraceFixture("single_k") },
        { "strace", TestFiles.StraceFixture("multi_stderr_f") },
        { "strace", TestFiles.StraceFixture("unfinished_resumed") },
        { "strace", TestFiles.StraceFixture("single_yy_sockets") },
        { "nttrace", TestFiles.NtTrace("nttrace_current_build.txt") },
    };

    [Fact]
    public void Every_buffer_size_from_1_to_64_gives_the_same_lines()
    {
        byte[] input = Encoding.ASCII.GetBytes(Lines);

        for (int size = 1; size <= 64; size++)
        {
            var (lines, terminated, bytes) = ReadAll(input, size, maxLineBytes: 1000);

            Assert.Equal(s_expectedLines, lines);
            Assert.False(terminated, $"buffer {size}: the last line has no newline");
            Assert.Equal(input.Length, bytes);
        }
    }

    [Fact]
    public void Peek_does_not_consume_the_head()
    {
        byte[] input = Encoding.ASCII.GetBytes(Lines);
        using var reader = new LineReader(new MemoryStream(input), 1000, bufferSize: 16);

        string head = Encoding.ASCII.GetString(reader.Peek(30));
        Assert.True(reader.TryReadLine(out ReadOnlySpan<byte> first));

        Assert.Equal(Lines[..30], head);
        Assert.Equal("first", Encoding.ASCII.GetString(first));
        Assert.Equal(1, reader.LineNumber);
    }

    [Fact]
    public void Line_of_exactly_the_limit_is_read_and_one_byte_more_is_refused_at_every_buffer_size()
    {
        string ok = new('a', 40);
        string tooLong = new('b', 41);
        byte[] input = Encoding.ASCII.GetBytes($"{ok}\n{ok}\n{tooLong}\n");

        for (int size = 16; size <= 64; size++)
        {
            using var reader = new LineReader(new MemoryStream(input), maxLineBytes: 40, bufferSize: size);
            Assert.True(reader.TryReadLine(out _));
            Assert.True(reader.TryReadLine(out ReadOnlySpan<byte> second));
            Assert.Equal(40, second.Length);

            bool threw = false;
            try
            {
                reader.TryReadLine(out _);
            }
            catch (LineTooLongException e)
            {
                threw = true;
                Assert.Equal(3, e.Line);
                Assert.Equal(40, e.Limit);
            }

            Assert.True(threw, $"buffer {size}: a 41-byte line passed a 40-byte limit");
        }
    }

    [Fact]
    public void Crlf_line_of_exactly_the_limit_is_read()
    {
        byte[] input = Encoding.ASCII.GetBytes(new string('a', 40) + "\r\n");
        using var reader = new LineReader(new MemoryStream(input), maxLineBytes: 40, bufferSize: 16);

        bool read = reader.TryReadLine(out ReadOnlySpan<byte> line);

        Assert.True(read);
        Assert.Equal(40, line.Length);
    }

    [Theory]
    [MemberData(nameof(BoundaryLogs))]
    public void Every_buffer_size_from_16_to_64_reads_a_log_like_the_default_buffer(string format, string path)
    {
        bool nttrace = format == "nttrace";
        LogFormat explicitFormat = nttrace ? LogFormat.NtTrace : LogFormat.Strace;
        string expected = Describe(path, new LogReadOptions { Format = explicitFormat }, nttrace);
        Assert.Contains(" calls=", expected, StringComparison.Ordinal);

        for (int size = 16; size <= 64; size++)
        {
            // An explicit format keeps detection's Peek from growing the buffer before the first line.
            string actual = Describe(path, new LogReadOptions { Format = explicitFormat, BufferSize = size }, nttrace);
            string detected = Describe(path, new LogReadOptions { BufferSize = size }, nttrace);

            Assert.Equal(expected, actual);
            Assert.Equal(expected, detected);
        }
    }

    [Fact]
    public void Every_buffer_size_from_16_to_64_reads_unm_and_adfa_like_the_default_buffer()
    {
        const string unm = "551 5\n551 3  \n\n552 5\n551 4\t\n  552 7 \n\n1000000 340\n";
        const string adfa = "6 6 63 6 42 120 6 195 120 6 6 114 162 162 162 162 162 114 1 1 252 ";

        string unmExpected = DescribeText(unm, new LogReadOptions { Format = LogFormat.Unm });
        string adfaExpected = DescribeText(adfa, new LogReadOptions { Format = LogFormat.Adfa });

        for (int size = 16; size <= 64; size++)
        {
            Assert.Equal(unmExpected, DescribeText(unm, new LogReadOptions { Format = LogFormat.Unm, BufferSize = size }));
            Assert.Equal(adfaExpected, DescribeText(adfa, new LogReadOptions { Format = LogFormat.Adfa, BufferSize = size }));
        }
    }

    [Fact]
    public void Line_longer_than_the_limit_is_located_at_every_buffer_size()
    {
        string log = "close(1) = 0\nclose(2) = 0\nwrite(1, \"" + new string('x', 200) + "\", 200) = 200\nclose(3) = 0\n";

        for (int size = 16; size <= 64; size++)
        {
            var options = new LogReadOptions { Format = LogFormat.Strace, MaxLineBytes = 100, BufferSize = size };

            var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log, options, path: "big.strace"));

            Assert.Equal("big.strace:3:1: line longer than 100 bytes", ex.Message);
        }
    }

    [Fact]
    public void Line_longer_than_the_limit_is_located_when_the_format_is_detected()
    {
        string log = "close(1) = 0\nclose(2) = 0\nwrite(1, \"" + new string('x', 200) + "\", 200) = 200\nclose(3) = 0\n";
        var options = new LogReadOptions { MaxLineBytes = 100 };

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log, options, path: "big.strace"));

        Assert.Equal("big.strace:3:1: line longer than 100 bytes", ex.Message);
        Assert.Equal(ErrorKind.MalformedInput, ex.Kind);
        Assert.Equal(RemedyKind.RaiseLineLimit, ex.Remedy?.Kind);
    }

    private static (List<string> Lines, bool LastTerminated, long Bytes) ReadAll(byte[] input, int bufferSize, int maxLineBytes)
    {
        using var reader = new LineReader(new MemoryStream(input), maxLineBytes, bufferSize);
        var lines = new List<string>();
        while (reader.TryReadLine(out ReadOnlySpan<byte> line))
        {
            lines.Add(Encoding.ASCII.GetString(line));
        }

        return (lines, reader.LastLineTerminated, reader.BytesRead);
    }

    private static string Describe(string path, LogReadOptions options, bool nttrace) =>
        Describe(Logs.ReadFile(path, options, nttrace ? new SyscallTable("boundary") : Logs.X8664));

    private static string DescribeText(string text, LogReadOptions options) =>
        Describe(Logs.ReadText(text, options, new SyscallTable("boundary")));

    private static string Describe((LogReadResult Result, RecordingSink Sink) read) =>
        $"{read.Result.Format} lines={read.Result.Lines} bytes={read.Result.Bytes} calls={read.Result.Syscalls} "
        + $"foreign={read.Result.ForeignLines} program={read.Result.FirstProgram}\n"
        + string.Join('\n', read.Sink.Events);
}

using System.Text;
using Sysprint.Core.Tests.Support;
using Sysprint.Diagnostics;
using Sysprint.Parsing;

namespace Sysprint.Core.Tests.Hostile;

/// <summary>
/// Bytes that would change what a log says once it reaches a reader or a terminal: a bare carriage
/// return (a line break of its own, which hid every call after the first one on the "line") and an
/// escape sequence that is not a colour. Both are refused at their column.
/// </summary>
public sealed class LineBreakAndEscapeTests
{
    private const string NtTraceHead = "Process 2428 starting at 4AD0B814 with command line \"cmd\"\nLoaded DLL at 77F40000 ntdll.dll\n";

    [Fact]
    public void Carriage_returns_as_line_breaks_are_refused_instead_of_hiding_the_calls_after_the_first()
    {
        // Read as one line, this log was one "read" call and passed any fingerprint that knows read.
        const string log = "read(0, \"\", 1) = 0\rsocket(AF_INET, SOCK_STREAM, 0) = 3\rconnect(3, ...) = 0\n";

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log));

        Assert.Equal("test.log:1:19: expected text, found byte 0x0D (a carriage return inside a line: lines must end in LF or CRLF)", ex.Message);
    }

    [Fact]
    public void Carriage_return_inside_an_nttrace_line_is_refused()
    {
        string log = NtTraceHead + "NtClose(Handle=0xc) => 0\rNtCreateFile(FileHandle=0x1) => 0\r\n";

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log, new LogReadOptions { Format = LogFormat.NtTrace }));

        Assert.Equal("test.log:3:25: expected text, found byte 0x0D (a carriage return inside a line: lines must end in LF or CRLF)", ex.Message);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(4096)]
    public void Crlf_log_with_one_bare_carriage_return_is_refused_at_it_whatever_the_buffer_size(int bufferSize)
    {
        var text = new StringBuilder();
        for (int i = 0; i < 40; i++)
        {
            text.Append(i == 23 ? "close(3) = 0\rsocket(1) = 3\r\n" : "read(0, \"\", 1) = 0\r\n");
        }

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(text.ToString(), new LogReadOptions { BufferSize = bufferSize }));

        Assert.Equal("test.log:24:13: expected text, found byte 0x0D (a carriage return inside a line: lines must end in LF or CRLF)", ex.Message);
    }

    [Theory]
    [InlineData("\u001b]0;pwned\u0007")]
    [InlineData("\u001b[2J\u001b[H")]
    [InlineData("\u001bc")]
    public void Escape_sequences_other_than_colours_are_refused_not_passed_on(string sequence)
    {
        // A terminal title, a screen clear or a reset in a file name: stripping colours must not let it through.
        string log = $"1  openat(AT_FDCWD, \"{sequence}\", O_RDONLY) = 3\n";

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log));

        Assert.Equal("test.log:1:22: expected text, found byte 0x1B (binary data?)", ex.Message);
    }

    [Fact]
    public void Colour_sequences_around_an_escape_are_stripped_and_the_escape_is_located()
    {
        const string log = "\u001b[32m1  openat(AT_FDCWD, \"\u001b[2J\", O_RDONLY) = 3\u001b[0m\n";

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log, new LogReadOptions { Format = LogFormat.Strace }));

        // Located in the line as read once its colours are gone.
        Assert.Equal("test.log:1:22: expected text, found byte 0x1B (binary data?)", ex.Message);
    }
}

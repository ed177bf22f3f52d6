using System.Text;
using Sysprint.Core.Tests.Support;
using Sysprint.Diagnostics;
using Sysprint.Parsing;

namespace Sysprint.Core.Tests.Parsing;

public sealed class FormatDetectorTests
{
    [Theory]
    [InlineData("single_plain")]
    [InlineData("single_all")]
    [InlineData("single_k")]
    [InlineData("single_r")]
    [InlineData("single_stderr")]
    [InlineData("multi_f")]
    [InlineData("multi_Y")]
    [InlineData("multi_stderr_f")]
    [InlineData("unknown_syscall_n")]
    public void Strace_fixture_head_is_strace(string fixture)
    {
        byte[] head = File.ReadAllBytes(TestFiles.StraceFixture(fixture));

        LogFormat format = FormatDetector.Detect(head, complete: true);

        Assert.Equal(LogFormat.Strace, format);
    }

    [Theory]
    [InlineData("nttrace_old_build.txt")]
    [InlineData("nttrace_current_build.txt")]
    public void NtTrace_fixture_head_is_nttrace(string file)
    {
        byte[] head = File.ReadAllBytes(TestFiles.NtTrace(file));

        LogFormat format = FormatDetector.Detect(head, complete: true);

        Assert.Equal(LogFormat.NtTrace, format);
    }

    [Theory]
    [InlineData("6 6 63 6 42 120 6 195 ", true, nameof(LogFormat.Adfa))]
    [InlineData("6 6 63 6 42 120\n6 195\n", true, nameof(LogFormat.Adfa))]
    [InlineData("1 5", true, nameof(LogFormat.Adfa))]
    [InlineData("1 5\n1 3\n2 5\n", true, nameof(LogFormat.Unm))]
    [InlineData("1 5 \r\n\r\n1 3\r\n", true, nameof(LogFormat.Unm))]
    [InlineData("1 5\n1 3\n2 5 7", false, nameof(LogFormat.Unm))]
    [InlineData("1 5\n1 3\n2 5 7", true, nameof(LogFormat.Adfa))]
    [InlineData("strace: Process 1234 attached\n", true, nameof(LogFormat.Strace))]
    [InlineData("+++ exited with 0 +++\n", true, nameof(LogFormat.Strace))]
    [InlineData("Loaded DLL at 77F40000 ntdll.dll\n", true, nameof(LogFormat.NtTrace))]
    [InlineData("[2428/4460] NtClose(Handle=0x14) => 0\n", true, nameof(LogFormat.NtTrace))]
    [InlineData("hello world\n", true, nameof(LogFormat.Auto))]
    [InlineData("\n\n", true, nameof(LogFormat.Auto))]
    [InlineData("\u007fELF\u0002\u0001\u0001\u0000\u0000\u0000", true, nameof(LogFormat.Auto))]
    public void Head_is_detected(string head, bool complete, string format)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(head);

        LogFormat detected = FormatDetector.Detect(bytes, complete);

        Assert.Equal(format, detected.ToString());
    }

    [Fact]
    public void Binary_garbage_is_refused_with_the_first_control_byte_located()
    {
        byte[] elf = [0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3E, 0];

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadBytes(elf, path: "/tmp/a.out"));

        Assert.Equal(
            "/tmp/a.out:1:1: cannot tell the log format: expected strace, NtTrace, ADFA-LD or UNM lines, found binary data (byte 0x7F at column 1)",
            ex.Message);
        Assert.Equal(ErrorKind.MalformedInput, ex.Kind);
        Assert.Equal(RemedyKind.NameFormat, ex.Remedy?.Kind);
    }

    [Fact]
    public void Text_of_no_known_format_is_refused_with_its_first_line_quoted()
    {
        const string text = "Hello, this is not a trace at all, it is a letter to a friend\nBye\n";

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(text, path: "letter.txt"));

        Assert.Equal(
            "letter.txt:1:1: cannot tell the log format: expected strace, NtTrace, ADFA-LD or UNM lines, found 'Hello, this is not a trace at all, it is'...",
            ex.Message);
    }

    [Fact]
    public void Detect_of_a_path_tells_the_format()
    {
        string path = TestFiles.StraceFixture("multi_f");

        LogFormat format = LogReader.Detect(path);

        Assert.Equal(LogFormat.Strace, format);
    }

    [Theory]
    [InlineData("single_plain", "cat")]
    [InlineData("multi_Y", "sh")]
    [InlineData("unknown_syscall", "unknown_syscall")]
    public void First_program_is_the_last_part_of_the_first_execve_path(string fixture, string program)
    {
        string path = TestFiles.StraceFixture(fixture);

        string? found = LogReader.FindProgram(path, new LogReadOptions());

        Assert.Equal(program, found);
    }
}

using Sysprint.Core.Tests.Support;
using Sysprint.Parsing;

namespace Sysprint.Core.Tests.Hostile;

/// <summary>
/// Inputs the fuzzer (fuzz/run.sh: AFL++ driving SharpFuzz-instrumented readers) found to crash a
/// reader, reduced to the line that did it. The raw findings are kept in fuzz/findings/.
/// </summary>
public sealed class FuzzFindingsTests
{
    private const string Call = "NtClose(Handle=0x14) => 0\n";

    // nttrace, 12 findings: "Thread exit code: 0" sliced body[7..6] (ArgumentOutOfRangeException, exit 70).
    [Theory]
    [InlineData("Thread exit code: 0\n")]
    [InlineData("Process exit code: 0\n")]
    [InlineData("Thread  exit code: 0\n")]
    [InlineData("Thread exit code\n")]
    [InlineData("Thread 99999999999999999999 exit code: 0\n")]
    public void Nttrace_exit_note_without_an_id_ends_no_thread_and_does_not_throw(string note)
    {
        var (result, sink) = Logs.ReadText(Call + note + Call, new LogReadOptions { Format = LogFormat.NtTrace });

        Assert.Equal(2, result.Syscalls);
        Assert.Equal(["call 0 100000 @1", "call 0 100000 @3"], sink.Events.Where(e => e.StartsWith("call", StringComparison.Ordinal)));
    }

    [Fact]
    public void Nttrace_exit_note_with_an_id_still_ends_that_thread()
    {
        var (_, sink) = Logs.ReadText("[1/7] " + Call + "Thread 7 exit code: 0\n", new LogReadOptions { Format = LogFormat.NtTrace });

        Assert.Equal(["call 7 100000 @1", "end 7"], sink.Events);
    }

    [Fact]
    public void Nttrace_exit_note_without_an_id_is_detected_and_read_as_nttrace()
    {
        string log = "Process 2428 starting at 4AD0B814 with command line \"cmd\"\n" + Call + "Thread exit code: 0\n";

        var (result, _) = Logs.ReadText(log);

        Assert.Equal(LogFormat.NtTrace, result.Format);
        Assert.Equal(1, result.Syscalls);
    }
}

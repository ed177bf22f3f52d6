using Sysprint.Core.Tests.Support;
using Sysprint.Diagnostics;
using Sysprint.Mapping;
using Sysprint.Parsing;

namespace Sysprint.Core.Tests.Parsing;

/// <summary>NtTrace logs through <see cref="LogReader"/>: names are learnt by default.</summary>
public sealed class NtTraceReaderTests
{
    private static readonly string[] s_expectedNames =
        ["NtOpenFile", "NtQueryVolumeInformationFile", "NtQueryAttributesFile", "NtWriteFile", "NtClose"];

    [Theory]
    [InlineData("nttrace_old_build.txt")]
    [InlineData("nttrace_current_build.txt")]
    public void Old_and_current_builds_give_the_same_sequence_of_names(string file)
    {
        var table = new SyscallTable("test");

        var (result, sink) = Logs.ReadFile(TestFiles.NtTrace(file), table: table);

        Assert.Equal(LogFormat.NtTrace, result.Format);
        Assert.Equal(5, result.Syscalls);
        Assert.Equal(s_expectedNames, sink.Sequences.SelectMany(s => s.Numbers).Select(table.NameOf));
        Assert.Single(sink.Sequences);
    }

    [Fact]
    public void Learnt_names_are_numbered_from_100000_in_order_of_first_appearance()
    {
        var table = new SyscallTable("test");

        var (_, sink) = Logs.ReadFile(TestFiles.NtTrace("nttrace_current_build.txt"), table: table);

        Assert.Equal([100_000, 100_001, 100_002, 100_003, 100_004], sink.Sequences[0].Numbers);
        Assert.Equal(s_expectedNames, table.NewlyLearnt.Select(kv => kv.Value));
    }

    [Fact]
    public void Current_build_files_calls_under_the_thread_id()
    {
        var (_, sink) = Logs.ReadFile(TestFiles.NtTrace("nttrace_current_build.txt"), table: new SyscallTable("test"));

        Assert.Equal(4460, Assert.Single(sink.Sequences).Thread);
        Assert.Equal([6, 8, 11, 14, 16], sink.Sequences[0].Lines);
        Assert.Equal([5520, 2428], sink.Ended);
    }

    [Fact]
    public void A_mapping_that_names_the_calls_gives_its_numbers()
    {
        var table = new SyscallTable("file:nt.map");
        table.Add(15, "NtOpenFile");
        table.Add(16, "NtQueryVolumeInformationFile");
        table.Add(17, "NtQueryAttributesFile");
        table.Add(18, "NtWriteFile");
        table.Add(19, "NtClose");

        var (_, sink) = Logs.ReadFile(TestFiles.NtTrace("nttrace_old_build.txt"), table: table);

        Assert.Equal([15, 16, 17, 18, 19], sink.Sequences[0].Numbers);
        Assert.Empty(table.NewlyLearnt);
    }

    [Fact]
    public void Learning_can_be_turned_off_and_then_an_unknown_name_is_located()
    {
        var options = new LogReadOptions { LearnNames = false };

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadFile(TestFiles.NtTrace("nttrace_old_build.txt"), options, new SyscallTable("nt")));

        Assert.Equal(
            $"{TestFiles.NtTrace("nttrace_old_build.txt")}:5:1: unknown system call 'NtOpenFile': not in the mapping (nt)",
            ex.Message);
        Assert.Equal(ErrorKind.MalformedInput, ex.Kind);
    }

    [Fact]
    public void Console_output_before_a_call_keeps_the_call()
    {
        const string log = """
            Process 2428 starting at 4AD0B814 with command line: "cmd"
            NtClose(Handle=0x14) => 0
            C:\WWW>NtWriteFile(FileHandle=4, Length=0x7) => 0
            NtClose(Handle=0x18) => 0

            """;
        var table = new SyscallTable("test");

        var (_, sink) = Logs.ReadText(log, table: table);

        Assert.Equal(["NtClose", "NtWriteFile", "NtClose"], sink.Sequences[0].Numbers.Select(table.NameOf));
    }

    [Fact]
    public void Console_output_before_a_prefixed_call_keeps_the_calls_thread()
    {
        const string log = """
            12:34:56.790: [2428/4460] NtClose(Handle=0x14) => 0
            C:\WWW>12:34:56.794: [2428/4460] NtWriteFile(FileHandle=4, Length=0x7) => 0
            12:34:56.795: [2428/4460] NtClose(Handle=0x18) => 0

            """;

        var (_, sink) = Logs.ReadText(log, table: new SyscallTable("test"));

        Assert.Equal(4460, Assert.Single(sink.Sequences).Thread);
    }
}

using Sysprint.Core.Tests.Support;
using Sysprint.Mapping;
using Sysprint.Parsing;

namespace Sysprint.Core.Tests.Parsing;

/// <summary>Golden tests: the real strace captures in TestData/strace read through <see cref="LogReader"/>.</summary>
public sealed class StraceReaderTests
{
    private static readonly SyscallTable s_table = SyscallTable.Builtin("x86_64");

    private const string ColouredLog =
        "\u001b[1mopenat\u001b[0m(AT_FDCWD, \"/etc/hostname\", O_RDONLY) = \u001b[32m3\u001b[0m\n"
        + "\u001b[1mclose\u001b[0m(3) = 0\n";

    public static TheoryData<string> AllFixtures => [.. TestFiles.StraceFixtureNames()];

    /// <summary>The single_* captures of the SINGLE workload (single_stderr and single_yy_sockets run other programs).</summary>
    public static TheoryData<string> SingleFixtures =>
    [
        .. TestFiles.StraceFixtureNames()
            .Where(n => n.StartsWith("single_", StringComparison.Ordinal) && n is not "single_plain" and not "single_stderr" and not "single_yy_sockets"),
    ];

    public static TheoryData<string> MultiFixtures => ["multi_f", "multi_f_tt_T", "multi_Y"];

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void Every_fixture_gives_exactly_its_expected_number_of_calls(string fixture)
    {
        int expected = TestFiles.ExpectedCount(fixture);

        var (result, sink) = Logs.ReadFile(TestFiles.StraceFixture(fixture));

        Assert.Equal(LogFormat.Strace, result.Format);
        Assert.Equal(expected, result.Syscalls);
        Assert.Equal(expected, sink.Calls);
        Assert.Equal(0, result.SkippedLines);
    }

    [Fact]
    public void Every_multi_ff_trace_gives_its_expected_number_of_calls()
    {
        var traces = TestFiles.MultiFfTraces();

        var counts = traces.Select(t => Logs.ReadFile(t.Path).Sink.Calls).ToList();

        Assert.Equal(3, traces.Count);
        Assert.Equal(traces.Select(t => t.Count), counts);
    }

    [Fact]
    public void The_multi_ff_directory_holds_only_trace_files()
    {
        string directory = Path.Combine(TestFiles.Strace, "multi_ff");

        var names = Directory.EnumerateFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(TestFiles.MultiFfTraces().Select(t => Path.GetFileName(t.Path)).Order(StringComparer.Ordinal), names);
    }

    [Theory]
    [MemberData(nameof(SingleFixtures))]
    public void Every_single_capture_gives_the_same_sequence_as_the_plain_one(string fixture)
    {
        var (_, plain) = Logs.ReadFile(TestFiles.StraceFixture("single_plain"));

        var (_, other) = Logs.ReadFile(TestFiles.StraceFixture(fixture));

        Assert.Equal(plain.NamedSequences(s_table), other.NamedSequences(s_table));
        Assert.Single(other.Sequences);
        Assert.Equal(45, other.Sequences[0].Numbers.Count);
    }

    [Fact]
    public void Single_plain_starts_with_execve_and_ends_with_exit_group_in_thread_zero()
    {
        var (result, sink) = Logs.ReadFile(TestFiles.StraceFixture("single_plain"));

        ThreadSequence only = Assert.Single(sink.Sequences);
        Assert.Equal(0, only.Thread);
        Assert.Equal("execve", s_table.NameOf(only.Numbers[0]));
        Assert.Equal("exit_group", s_table.NameOf(only.Numbers[^1]));
        Assert.Equal("cat", result.FirstProgram);
        Assert.Equal(46, result.Lines);
    }

    [Theory]
    [MemberData(nameof(MultiFixtures))]
    public void Multi_process_captures_give_sh_cat_and_ls_their_own_sequences(string fixture)
    {
        var (_, sink) = Logs.ReadFile(TestFiles.StraceFixture(fixture));

        Assert.Equal([78, 46, 68], sink.Sequences.Select(s => s.Numbers.Count));
        Assert.Equal(3, sink.Sequences.Select(s => s.Thread).Distinct().Count());
        Assert.All(sink.Sequences, s => Assert.True(s.Thread > 0, $"thread {s.Thread} should be a pid"));
        Assert.All(sink.Sequences, s => Assert.True(s.Ended, $"pid {s.Thread} should have ended"));
    }

    [Theory]
    [MemberData(nameof(MultiFixtures))]
    public void Multi_process_captures_give_the_same_per_pid_sequences_as_the_ff_files(string fixture)
    {
        // Each -ff file is one process; order them as their first calls appear (sh, cat, ls).
        var fromFiles = TestFiles.MultiFfTraces()
            .Select(t => Logs.ReadFile(t.Path).Sink)
            .Select(sink => string.Join(' ', Assert.Single(sink.Sequences).Numbers.Select(s_table.NameOf)))
            .Order(StringComparer.Ordinal)
            .ToList();

        var (_, combined) = Logs.ReadFile(TestFiles.StraceFixture(fixture));

        Assert.Equal(fromFiles, combined.NamedSequences(s_table).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Multi_f_tt_T_and_multi_Y_match_multi_f_in_order_of_first_appearance()
    {
        var (_, plain) = Logs.ReadFile(TestFiles.StraceFixture("multi_f"));

        var (_, timed) = Logs.ReadFile(TestFiles.StraceFixture("multi_f_tt_T"));
        var (_, comm) = Logs.ReadFile(TestFiles.StraceFixture("multi_Y"));

        Assert.Equal(plain.NamedSequences(s_table), timed.NamedSequences(s_table));
        Assert.Equal(plain.NamedSequences(s_table), comm.NamedSequences(s_table));
    }

    [Fact]
    public void Resumed_call_is_counted_once_at_its_entry()
    {
        string path = TestFiles.StraceFixture("unfinished_resumed");
        string[] lines = File.ReadAllLines(path);

        var (_, sink) = Logs.ReadFile(path);

        var callLines = sink.Sequences.SelectMany(s => s.Lines).ToHashSet();
        Assert.Equal(151, sink.Calls);
        Assert.Equal(151, callLines.Count);
        for (int i = 0; i < lines.Length; i++)
        {
            bool entry = lines[i].EndsWith("<unfinished ...>", StringComparison.Ordinal);
            bool resumed = lines[i].Contains("<... ", StringComparison.Ordinal);
            if (entry)
            {
                Assert.Contains(i + 1, callLines);
            }

            if (resumed)
            {
                Assert.DoesNotContain(i + 1, callLines);
            }
        }
    }

    [Fact]
    public void Resumed_call_lands_in_its_own_pids_sequence()
    {
        var (_, sink) = Logs.ReadFile(TestFiles.StraceFixture("unfinished_resumed"));

        var counts = sink.CountsByThread();
        Assert.Equal(new Dictionary<long, int> { [4342] = 63, [4343] = 42, [4344] = 46 }, counts);
        ThreadSequence sh = sink.Sequences.Single(s => s.Thread == 4342);
        Assert.Equal("vfork", s_table.NameOf(sh.Numbers[sh.Lines.IndexOf(61)]));
        Assert.Equal("wait4", s_table.NameOf(sh.Numbers[sh.Lines.IndexOf(74)]));
    }

    [Fact]
    public void Killed_line_ends_the_thread()
    {
        var (_, sink) = Logs.ReadFile(TestFiles.StraceFixture("killed"));

        Assert.Equal(48, sink.Calls);
        Assert.Equal("end 0", sink.Events[^1]);
        Assert.Equal("call 0 62 @48", sink.Events[^2]);
    }

    [Fact]
    public void Exit_lines_end_each_pids_thread_in_log_order()
    {
        var (_, sink) = Logs.ReadFile(TestFiles.StraceFixture("unfinished_resumed"));

        Assert.Equal([4344, 4343, 4342], sink.Ended);
        Assert.All(sink.Sequences, s => Assert.True(s.Ended));
    }

    [Theory]
    [InlineData("unknown_syscall")]
    [InlineData("unknown_syscall_n")]
    public void Unknown_syscall_takes_the_number_after_syscall_0x(string fixture)
    {
        var (_, sink) = Logs.ReadFile(TestFiles.StraceFixture(fixture));

        var numbers = Assert.Single(sink.Sequences).Numbers;
        Assert.Equal(17, numbers.Count);
        Assert.Equal([0x3e7, 0xbad, 231], numbers[^3..]);
    }

    [Fact]
    public void Unknown_syscall_with_n_gives_the_same_numbers_as_without()
    {
        var (_, plain) = Logs.ReadFile(TestFiles.StraceFixture("unknown_syscall"));

        var (_, numbered) = Logs.ReadFile(TestFiles.StraceFixture("unknown_syscall_n"));

        Assert.Equal(plain.Sequences[0].Numbers, numbered.Sequences[0].Numbers);
    }

    [Fact]
    public void Stderr_capture_counts_program_output_lines_as_foreign_not_calls()
    {
        var (result, sink) = Logs.ReadFile(TestFiles.StraceFixture("single_stderr"));

        Assert.Equal(62, sink.Calls);
        Assert.Equal(1, result.ForeignLines);
        Assert.Equal(0, result.SkippedLines);
    }

    [Fact]
    public void Stderr_f_capture_gives_the_first_processs_early_calls_to_its_real_pid()
    {
        var (_, sink) = Logs.ReadFile(TestFiles.StraceFixture("multi_stderr_f"));

        Assert.Equal(new Dictionary<long, int> { [4273] = 85, [4274] = 46, [4275] = 69 }, sink.CountsByThread());
        Assert.Equal([(0L, 4273L)], sink.Renamed);
        Assert.Equal("execve", s_table.NameOf(sink.Sequences.Single(s => s.Thread == 4273).Numbers[0]));
    }

    [Fact]
    public void Stderr_f_capture_gives_cat_the_same_sequence_as_the_o_capture()
    {
        var (_, sink) = Logs.ReadFile(TestFiles.StraceFixture("multi_stderr_f"));

        var cat = sink.Sequences.Single(s => s.Thread == 4274);
        var (_, multi) = Logs.ReadFile(TestFiles.StraceFixture("multi_f"));
        Assert.Equal(multi.NamedSequences(s_table)[1], string.Join(' ', cat.Numbers.Select(s_table.NameOf)));
    }

    [Fact]
    public void Stderr_f_capture_counts_200_calls_and_ends_every_process()
    {
        var (result, sink) = Logs.ReadFile(TestFiles.StraceFixture("multi_stderr_f"));

        Assert.Equal(200, sink.Calls);
        Assert.Equal(69, sink.CountsByThread()[4275]);
        Assert.Equal(0, result.SkippedLines);
        Assert.Equal(3, sink.Ended.Count);
    }

    [Fact]
    public void Notices_spliced_into_clone_vfork_and_clone3_lines_are_removed_and_each_call_read_once()
    {
        // Real capture: strace -f to stderr; each child's "strace: Process N attached" cut the parent's
        // clone, vfork or clone3 line, whose rest follows on the next line.
        var (result, sink) = Logs.ReadFile(TestFiles.StraceFixture("multi_stderr_f_spliced"));

        Assert.Equal(55, result.Syscalls);
        Assert.Equal(0, result.SkippedLines);
        Assert.Equal(0, result.ForeignLines);
        Assert.Equal([(0L, 8598L)], sink.Renamed);
        Assert.Equal(
            new Dictionary<long, int> { [8598] = 35, [8599] = 2, [8600] = 1, [8601] = 7, [8602] = 2, [8603] = 1, [8604] = 7 },
            sink.CountsByThread());
        var parent = sink.Sequences.Single(s => s.Thread == 8598).Numbers.Select(s_table.NameOf).ToList();
        Assert.Equal(["clone", "wait4", "vfork", "wait4"], parent[14..18]);
        Assert.Equal(2, parent.Count(n => n == "clone3"));
        Assert.Equal(7, sink.Ended.Count);
    }

    [Fact]
    public void A_call_cut_by_a_notice_counts_at_its_entry_line_whatever_its_rest_looks_like()
    {
        const string log = """
            execve("/bin/sh", ["sh"], 0x7ffc /* 0 vars */) = 0
            clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLDstrace: Process 11 attached
            strace: Process 12 attached
            , child_tidptr=0x4c3690) = 11strace: Process 13 attached
             <unfinished ...>
            [pid    11] exit_group(0)               = ?
            [pid    10] <... clone resumed>)        = 11
            [pid    11] +++ exited with 0 +++
            exit_group(0)                           = ?

            """;

        var (result, sink) = Logs.ReadText(log);

        Assert.Equal(["call 0 59 @1", "call 0 56 @2", "call 11 231 @6", "rename 0 10", "end 11", "call 10 231 @9"], sink.Events);
        Assert.Equal(0, result.SkippedLines);
    }

    [Fact]
    public void Attached_message_on_its_own_line_keeps_the_child_from_being_taken_for_the_first_process()
    {
        const string log = """
            execve("/bin/sh", ["sh"], 0x7ffc /* 0 vars */) = 0
            brk(NULL)                               = 0x5555
            strace: Process 11 attached
            vfork( <unfinished ...>
            [pid    11] execve("/bin/cat", ["cat"], 0x7ffc /* 0 vars */) = 0
            [pid    10] <... vfork resumed>)        = 11
            [pid    11] exit_group(0)               = ?
            [pid    11] +++ exited with 0 +++
            exit_group(0)                           = ?
            +++ exited with 0 +++

            """;

        var (_, sink) = Logs.ReadText(log);

        Assert.Equal([(0L, 10L)], sink.Renamed);
        Assert.Equal(new Dictionary<long, int> { [10] = 4, [11] = 2 }, sink.CountsByThread());
        Assert.Equal([11, 10], sink.Ended);
    }

    [Fact]
    public void Attached_message_inside_the_parents_entry_line_keeps_the_child_from_being_taken_for_the_first_process()
    {
        const string log = """
            execve("/bin/sh", ["sh"], 0x7ffc /* 0 vars */) = 0
            brk(NULL)                               = 0x5555
            vfork(strace: Process 11 attached
             <unfinished ...>
            [pid    11] execve("/bin/cat", ["cat"], 0x7ffc /* 0 vars */) = 0
            [pid    10] <... vfork resumed>)        = 11
            [pid    11] exit_group(0)               = ?
            [pid    11] +++ exited with 0 +++
            exit_group(0)                           = ?
            +++ exited with 0 +++

            """;

        var (_, sink) = Logs.ReadText(log);

        Assert.Equal([(0L, 10L)], sink.Renamed);
        Assert.Equal(new Dictionary<long, int> { [10] = 4, [11] = 2 }, sink.CountsByThread());
    }

    [Fact]
    public void Coloured_lines_of_strace_7_are_read_as_plain_ones()
    {
        var (_, sink) = Logs.ReadText(ColouredLog, new LogReadOptions { Format = LogFormat.Strace });

        Assert.Equal(["call 0 257 @1", "call 0 3 @2"], sink.Events);
    }

    [Fact]
    public void Coloured_strace_log_is_detected_as_strace()
    {
        var (result, sink) = Logs.ReadText(ColouredLog);

        Assert.Equal(LogFormat.Strace, result.Format);
        Assert.Equal(2, sink.Calls);
    }
}

using Sysprint.Core.Tests.Support;
using Sysprint.Diagnostics;
using Sysprint.Mapping;
using Sysprint.Parsing;
using Repository = Sysprint.TestSupport.Repository;

namespace Sysprint.Core.Tests.Parsing;

/// <summary>The data sets in number form through <see cref="LogReader"/>: ADFA-LD files and UNM pairs.</summary>
public sealed class NumberLogReaderTests
{
    private static readonly SyscallTable s_i386 = SyscallTable.Builtin("i386");

    [Fact]
    public void Adfa_training_file_gives_one_call_per_number_in_order()
    {
        string path = Path.Combine(Repository.AdfaLdOrSkip(), "Training_Data_Master", "UTD-0001.txt");
        int[] tokens = File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();

        var (result, sink) = Logs.ReadFile(path, table: s_i386);

        Assert.Equal(LogFormat.Adfa, result.Format);
        Assert.Equal(tokens.Length, result.Syscalls);
        Assert.Equal(tokens, Assert.Single(sink.Sequences).Numbers);
        Assert.Equal(0, sink.Sequences[0].Thread);
        Assert.Equal(1, result.Lines);
    }

    [Fact]
    public void Adfa_training_set_gives_the_call_total_its_source_states()
    {
        string directory = Path.Combine(Repository.AdfaLdOrSkip(), "Training_Data_Master");
        string[] files = Directory.GetFiles(directory);

        long total = files.Sum(f => Logs.ReadFile(f, table: s_i386).Result.Syscalls);

        Assert.Equal(833, files.Length);
        Assert.Equal(308_077, total);
    }

    [Fact]
    public void Adfa_numbers_are_i386_calls()
    {
        const string trace = "6 6 63 6 42 120 6 195 252 ";

        var (result, sink) = Logs.ReadText(trace, table: s_i386);

        Assert.Equal(LogFormat.Adfa, result.Format);
        Assert.Equal("close close dup2 close pipe clone close stat64 exit_group", sink.NamedSequences(s_i386)[0]);
    }

    [Fact]
    public void Unm_pairs_give_one_sequence_per_pid_despite_interleaving_blank_lines_and_trailing_spaces()
    {
        const string log = "551 5\n551 3  \n\n552 5\n551 4\t\n  552 7 \n\n";

        var (result, sink) = Logs.ReadText(log, table: s_i386);

        Assert.Equal(LogFormat.Unm, result.Format);
        Assert.Equal(5, result.Syscalls);
        Assert.Equal([551L, 552L], sink.Sequences.Select(s => s.Thread));
        Assert.Equal([5, 3, 4], sink.Sequences[0].Numbers);
        Assert.Equal([5, 7], sink.Sequences[1].Numbers);
        Assert.Equal([1L, 2L, 5L], sink.Sequences[0].Lines);
    }

    [Theory]
    [InlineData("1 5\n1 5 7\n", "test.log:2:4: expected a system call number after the process id, then the end of the line, found ' 7'")]
    [InlineData("1 5\n1 x\n", "test.log:2:3: expected a system call number after the process id, then the end of the line, found 'x'")]
    [InlineData("1 5\n1\n", "test.log:2:2: expected a system call number after the process id, then the end of the line, found the end of the line")]
    [InlineData("1 5\npid 5\n", "test.log:2:1: expected a process id (UNM lines are 'PID NUMBER'), found 'pid 5'")]
    [InlineData("1 5\n1x 5\n", "test.log:2:2: expected a process id (UNM lines are 'PID NUMBER'), found 'x 5'")]
    public void Malformed_unm_line_is_located(string log, string message)
    {
        var options = new LogReadOptions { Format = LogFormat.Unm };

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log, options, s_i386));

        Assert.Equal(message, ex.Message);
    }

    [Theory]
    [InlineData("6 6 x 3 ", "test.log:1:5: expected a decimal system call number, found 'x 3 '")]
    [InlineData("6 6a 3 ", "test.log:1:4: expected a decimal system call number, found 'a 3 '")]
    [InlineData("6 1234567890 3", "test.log:1:3: expected a decimal system call number, found '1234567890 3'")]
    [InlineData("6 -1 3", "test.log:1:3: expected a decimal system call number, found '-1 3'")]
    public void Malformed_adfa_token_is_located(string log, string message)
    {
        var options = new LogReadOptions { Format = LogFormat.Adfa };

        var ex = Assert.Throws<MalformedInputException>(() => Logs.ReadText(log, options, s_i386));

        Assert.Equal(message, ex.Message);
    }
}

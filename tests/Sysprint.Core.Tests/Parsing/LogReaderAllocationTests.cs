using System.Text;
using Sysprint.Core.Tests.Support;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Parsing;

namespace Sysprint.Core.Tests.Parsing;

/// <summary>The hot path (read, parse, sequence, check) allocates nothing per line.</summary>
public sealed class LogReaderAllocationTests
{
    private const int Lines = 100_000;

    [Theory]
    [InlineData(2)]
    [InlineData(6)]
    public void Reading_and_checking_a_log_allocates_nothing_per_line(int window)
    {
        SyscallTable table = SyscallTable.Builtin("x86_64");
        byte[] small = Synthetic(Lines);
        byte[] large = Synthetic(2 * Lines);
        var fingerprint = new Fingerprint(window);
        LogReader.Read(new MemoryStream(small), "learn", table, new LogReadOptions(), new FingerprintLearner(fingerprint));
        var checker = new FingerprintChecker(fingerprint);
        Check(small, table, checker);
        Check(large, table, checker);

        long smallBytes = Check(small, table, checker);
        long largeBytes = Check(large, table, checker);

        Assert.Equal(0, checker.MismatchCount);
        Assert.True(largeBytes - smallBytes < 4096,
            $"{Lines} more lines allocated {largeBytes - smallBytes} more bytes ({smallBytes} for {Lines} lines, {largeBytes} for {2 * Lines})");
    }

    /// <summary>Bytes the current thread allocated reading <paramref name="log"/> into the checker.</summary>
    private static long Check(byte[] log, SyscallTable table, FingerprintChecker checker)
    {
        var stream = new MemoryStream(log, writable: false);
        var options = new LogReadOptions();
        checker.Reset();

        long before = GC.GetAllocatedBytesForCurrentThread();
        LogReadResult result = LogReader.Read(stream, "check", table, options, checker);
        long after = GC.GetAllocatedBytesForCurrentThread();

        Assert.True(result.Syscalls > 0);
        return after - before;
    }

    /// <summary>About <paramref name="lines"/> lines of real <c>strace -f -tt -T</c> output, the multi_f_tt_T capture repeated.</summary>
    private static byte[] Synthetic(int lines)
    {
        string[] capture = File.ReadAllLines(TestFiles.StraceFixture("multi_f_tt_T"));
        var text = new StringBuilder();
        for (int n = 0; n < lines; n++)
        {
            text.Append(capture[n % capture.Length]).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}

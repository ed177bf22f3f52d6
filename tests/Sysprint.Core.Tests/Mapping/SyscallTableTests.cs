using System.Text;
using Sysprint.Diagnostics;
using Sysprint.Mapping;

namespace Sysprint.Core.Tests.Mapping;

public sealed class SyscallTableTests
{
    [Theory]
    [InlineData("x86_64", 0, "read")]
    [InlineData("x86_64", 257, "openat")]
    [InlineData("x86_64", 231, "exit_group")]
    [InlineData("x86_64", 435, "clone3")]
    [InlineData("i386", 6, "close")]
    [InlineData("i386", 120, "clone")]
    [InlineData("i386", 195, "stat64")]
    [InlineData("i386", 252, "exit_group")]
    [InlineData("i386", 265, "clock_gettime")]
    [InlineData("arm64", 56, "openat")]
    [InlineData("arm64", 220, "clone")]
    public void Builtin_table_knows_the_kernels_pairs(string abi, int number, string name)
    {
        SyscallTable table = SyscallTable.Builtin(abi);

        bool byString = table.TryGetNumber(name, out int fromString);
        bool byBytes = table.TryGetNumber(Encoding.ASCII.GetBytes(name), out int fromBytes);

        Assert.True(byString);
        Assert.True(byBytes);
        Assert.Equal(number, fromString);
        Assert.Equal(number, fromBytes);
        Assert.Equal(name, table.NameOf(number));
        Assert.Equal(abi, table.Source);
    }

    [Fact]
    public void Builtin_abis_are_x86_64_i386_and_arm64()
    {
        var abis = SyscallTable.BuiltinAbis;

        Assert.Equal(["x86_64", "i386", "arm64"], abis);
        Assert.All(abis, abi => Assert.True(SyscallTable.Builtin(abi).Count > 300, abi));
    }

    [Fact]
    public void Reserved_numbers_with_a_trailing_comment_are_in_the_table()
    {
        SyscallTable table = SyscallTable.Builtin("x86_64");

        Assert.Equal("uselib", table.NameOf(134));
    }

    [Fact]
    public void Unknown_abi_is_a_usage_error_listing_the_valid_ones()
    {
        var ex = Assert.Throws<SysprintException>(() => SyscallTable.Builtin("mips"));

        Assert.Equal("unknown ABI 'mips': valid ABIs are x86_64, i386, arm64", ex.Message);
        Assert.Equal(ErrorKind.Usage, ex.Kind);
    }

    [Fact]
    public void Unknown_number_is_named_as_strace_spells_it()
    {
        SyscallTable table = SyscallTable.Builtin("x86_64");

        Assert.Equal("syscall_0x3e7", table.NameOf(0x3e7));
    }

    [Fact]
    public void Unknown_or_overlong_name_is_not_found()
    {
        SyscallTable table = SyscallTable.Builtin("x86_64");

        Assert.False(table.TryGetNumber("frob"u8, out _));
        Assert.False(table.TryGetNumber(Encoding.ASCII.GetBytes(new string('a', 300)), out int number));
        Assert.Equal(-1, number);
        Assert.False(table.TryGetNumber("OPENAT"u8, out _));
    }

    [Fact]
    public void User_mapping_file_with_comments_blank_lines_tabs_and_spaces_is_read()
    {
        const string file = """
            # NtTrace names for one Windows build
            # <number> <name>

            0	NtAcceptConnectPort
            15   NtClose   # trailing comment
              51	NtOpenFile
            	52 NtWriteFile

            """;

        SyscallTable table = SyscallTable.Parse(new StringReader(file), "win.map", "file:win.map");

        Assert.Equal(4, table.Count);
        Assert.Equal("file:win.map", table.Source);
        Assert.Equal(
            ["0 NtAcceptConnectPort", "15 NtClose", "51 NtOpenFile", "52 NtWriteFile"],
            table.Entries.Select(e => $"{e.Key} {e.Value}"));
    }

    [Theory]
    [InlineData("1 a\n2 b\n12 foo bar\n", "win.map:3:1: expected '<number> <name>', found '12 foo bar'")]
    [InlineData("1 a\n  12\n", "win.map:2:3: expected '<number> <name>', found '12'")]
    [InlineData("1 a\n  x12 foo\n", "win.map:2:3: expected a system call number, found 'x12'")]
    [InlineData("-1 foo\n", "win.map:1:1: expected a system call number, found '-1'")]
    [InlineData("99999999999 foo\n", "win.map:1:1: expected a system call number, found '99999999999'")]
    [InlineData("12  foo-bar\n", "win.map:1:5: expected a system call name (letters, digits, '_'), found 'foo-bar'")]
    [InlineData("\t7\tfoo.bar # comment\n", "win.map:1:4: expected a system call name (letters, digits, '_'), found 'foo.bar'")]
    public void Malformed_mapping_line_is_located(string file, string message)
    {
        var ex = Assert.Throws<MalformedInputException>(() => SyscallTable.Parse(new StringReader(file), "win.map", "file:win.map"));

        Assert.Equal(message, ex.Message);
        Assert.Equal(ErrorKind.MalformedInput, ex.Kind);
    }

    [Fact]
    public void Learnt_names_get_stable_numbers_from_100000()
    {
        var table = new SyscallTable("nt");

        int open = table.Learn("NtOpenFile"u8);
        int close = table.Learn("NtClose"u8);
        int again = table.Learn("NtOpenFile"u8);

        Assert.Equal(100_000, open);
        Assert.Equal(100_001, close);
        Assert.Equal(100_000, again);
        Assert.Equal([new(100_000, "NtOpenFile"), new KeyValuePair<int, string>(100_001, "NtClose")], table.NewlyLearnt);
    }

    [Fact]
    public void Learning_continues_after_the_highest_number_present()
    {
        SyscallTable table = SyscallTable.Builtin("x86_64");
        table.Add(100_007, "NtClose");

        int learnt = table.Learn("NtOpenFile"u8);

        Assert.Equal(100_008, learnt);
    }

    [Fact]
    public void Learning_a_known_name_gives_its_number_and_learns_nothing()
    {
        SyscallTable table = SyscallTable.Builtin("x86_64");

        int number = table.Learn("openat"u8);

        Assert.Equal(257, number);
        Assert.Empty(table.NewlyLearnt);
    }

    [Fact]
    public void Saved_learnt_names_are_forgotten_as_new()
    {
        var table = new SyscallTable("nt");
        table.Learn("NtClose"u8);

        table.MarkLearntSaved();

        Assert.Empty(table.NewlyLearnt);
        Assert.True(table.TryGetNumber("NtClose", out int number));
        Assert.Equal(100_000, number);
    }

    [Fact]
    public void Alias_maps_to_the_same_number_and_the_number_keeps_its_first_name()
    {
        var table = new SyscallTable("t");

        table.Add(5, "a");
        table.Add(5, "b");

        Assert.True(table.TryGetNumber("a", out int a));
        Assert.True(table.TryGetNumber("b", out int b));
        Assert.Equal(5, a);
        Assert.Equal(5, b);
        Assert.Equal("a", table.NameOf(5));
        Assert.Equal(["5 a", "5 b"], table.Entries.Select(e => $"{e.Key} {e.Value}"));
    }

    [Fact]
    public void Name_given_a_second_number_keeps_its_first()
    {
        var table = new SyscallTable("t");

        table.Add(5, "a");
        table.Add(6, "a");

        Assert.True(table.TryGetNumber("a", out int a));
        Assert.Equal(5, a);
        Assert.Equal(["5 a"], table.Entries.Select(e => $"{e.Key} {e.Value}"));
    }

    [Fact]
    public void NameOf_gives_a_name_that_maps_back_to_the_number()
    {
        var table = new SyscallTable("t");
        table.Add(5, "a");

        table.Add(6, "a");

        Assert.Equal("syscall_0x6", table.NameOf(6));
    }

    [Theory]
    [InlineData("x86_64")]
    [InlineData("i386")]
    [InlineData("arm64")]
    public void WriteTo_round_trips_through_Parse(string abi)
    {
        SyscallTable table = SyscallTable.Builtin(abi);
        table.Learn("NtOpenFile"u8);
        table.Learn("NtClose"u8);
        var text = new StringWriter();

        table.WriteTo(text);
        SyscallTable parsed = SyscallTable.Parse(new StringReader(text.ToString()), "saved.map", "file:saved.map");

        Assert.Equal(table.Entries, parsed.Entries);
        Assert.Equal(table.Count, parsed.Count);
        Assert.Equal(100_002, parsed.Learn("NtWriteFile"u8));
        Assert.StartsWith($"# sysprint mapping: {abi}\n", text.ToString(), StringComparison.Ordinal);
    }
}

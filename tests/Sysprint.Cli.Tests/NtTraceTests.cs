using System.Text.Json;
using Sysprint.Cli.Tests.Support;

namespace Sysprint.Cli.Tests;

/// <summary>
/// NtTrace logs through the CLI: names are learnt by default with stable numbers from 100000,
/// kept in the store so that later runs (new processes, new store connections) see the same numbers.
/// </summary>
public sealed class NtTraceTests : IDisposable
{
    /// <summary>The current build's shape: time, delta, [pid/tid], -pre entry lines ending in " ...".</summary>
    private const string CurrentBuild =
        """
        Process 2428 starting at 4AD0B814 with command line: "cmd"
        C:\WINDOWS\system32\cmd.exe
        Loaded DLL at 77F40000 ntdll.dll
        12:34:56.789 +0.000: [2428/4460] NtOpenFile(FileHandle=0x12fb38, DesiredAccess=FILE_EXECUTE|SYNCHRONIZE, ObjectAttributes="\??\C:\WWW\NtTrace\", IoStatusBlock=0x0012FAE4, ShareAccess=3, OpenOptions=0x21) ...
        12:34:56.790 +0.001: [2428/4460] NtOpenFile(FileHandle=0x12fb38 [0x14], DesiredAccess=FILE_EXECUTE|SYNCHRONIZE, ObjectAttributes="\??\C:\WWW\NtTrace\", IoStatusBlock=0x0012FAE4 [0/1], ShareAccess=3, OpenOptions=0x21) => 0
        12:34:56.790 +0.000: [2428/4460] NtClose(Handle=0x14) ...
        12:34:56.791 +0.001: [2428/4460] NtClose(Handle=0x14) => 0
        12:34:56.792 +0.001: [2428/4460] NtQueryVolumeInformationFile(FileHandle=0x14, IoStatusBlock=0x0012FAE4 [0/8], FsInformation=0x12faf4, Length=8, FsInformationClass=4 [FileFsDeviceInformation]) => 0
        Process 2428 exit code: 0

        """;

    private readonly CliSandbox _cli = new();
    private readonly string _db;
    private readonly string _sample;

    public NtTraceTests()
    {
        _db = _cli.Db();
        _sample = _cli.Write("cmd-old.txt", Logs.NtTraceSample);
    }

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Names_are_learnt_by_default_with_numbers_from_100000()
    {
        CliResult train = _cli.Run("train", "--db", _db, _sample);
        CliResult mapping = _cli.Run("mapping", "--db", _db);
        CliResult show = _cli.Run("show", "--db", _db);

        Assert.Equal(0, train.Exit);
        Assert.Equal("", train.Error);
        Assert.StartsWith($"learnt   {_sample}  4 syscalls, +3 transitions, fingerprint 'default' 3\n", train.Out, StringComparison.Ordinal);
        Assert.EndsWith("100000\tNtOpenFile\n100001\tNtQueryVolumeInformationFile\n100002\tNtQueryAttributesFile\n100003\tNtWriteFile\n", mapping.Out, StringComparison.Ordinal);
        Assert.Equal(
            """
            # profile 'default': window 2, 4 calls, 3 transitions
            NtOpenFile(100000) → NtQueryVolumeInformationFile
            NtQueryVolumeInformationFile(100001) → NtQueryAttributesFile
            NtQueryAttributesFile(100002) → NtWriteFile
            NtWriteFile(100003) → (nothing: last call of its thread)

            """, show.Out);
        Assert.Contains("mapping  x86_64: 385 names, 4 learnt\n", _cli.RunOk("stats", "--db", _db).Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Learnt_log_checks_normal()
    {
        _cli.RunOk("train", "--db", _db, _sample);

        CliResult result = _cli.Run("check", "--db", _db, _sample);

        Assert.Equal(0, result.Exit);
        Assert.Equal($"normal     {_sample}  4 syscalls match profile 'default'\n", result.Out);
    }

    [Fact]
    public void Later_runs_see_the_same_numbers_and_number_new_names_after_them()
    {
        _cli.RunOk("train", "--db", _db, _sample);
        string current = _cli.Write("cmd-current.txt", CurrentBuild);

        CliResult check = _cli.Run("check", "--db", _db, "--json", current);
        CliResult mapping = _cli.Run("mapping", "--db", _db);

        Assert.Equal(1, check.Exit);
        using JsonDocument json = JsonDocument.Parse(check.Out);
        Assert.Equal(3, json.RootElement.GetProperty("syscalls").GetInt32());
        Assert.Equal("nttrace", json.RootElement.GetProperty("format").GetString());
        var details = json.RootElement.GetProperty("details").EnumerateArray()
            .Select(d => (
                d.GetProperty("line").GetInt32(),
                d.GetProperty("prev").GetString(),
                d.GetProperty("prev_nr").GetInt32(),
                d.GetProperty("next").GetString(),
                d.GetProperty("next_nr").GetInt32()))
            .ToList();
        Assert.Equal(
            [
                (7, "NtOpenFile", 100000, "NtClose", 100004),
                (8, "NtClose", 100004, "NtQueryVolumeInformationFile", 100001),
            ],
            details);
        Assert.EndsWith("100003\tNtWriteFile\n100004\tNtClose\n", mapping.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Name_learnt_by_a_check_keeps_its_number_when_trained_later()
    {
        _cli.RunOk("train", "--db", _db, _sample);
        string current = _cli.Write("cmd-current.txt", CurrentBuild);
        Assert.Equal(1, _cli.Run("check", "--db", _db, current).Exit);

        CliResult train = _cli.Run("train", "--db", _db, current);
        CliResult show = _cli.Run("show", "--db", _db);

        Assert.Equal(0, train.Exit);
        Assert.Contains("\nNtClose(100004) → NtQueryVolumeInformationFile\n", show.Out, StringComparison.Ordinal);
        Assert.Contains("\nNtOpenFile(100000) → NtQueryVolumeInformationFile, NtClose\n", show.Out, StringComparison.Ordinal);
        Assert.Equal(0, _cli.Run("check", "--db", _db, current).Exit);
    }

    [Fact]
    public void Names_learnt_in_another_order_in_another_store_get_other_numbers_but_each_store_stays_stable()
    {
        string other = _cli.Db("other.db");
        string current = _cli.Write("cmd-current.txt", CurrentBuild);
        _cli.RunOk("train", "--db", other, current);
        _cli.RunOk("train", "--db", other, _sample);

        CliResult mapping = _cli.Run("mapping", "--db", other);

        Assert.EndsWith("100000\tNtOpenFile\n100001\tNtClose\n100002\tNtQueryVolumeInformationFile\n100003\tNtQueryAttributesFile\n100004\tNtWriteFile\n", mapping.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Pre_entry_lines_are_not_counted_twice()
    {
        string current = _cli.Write("cmd-current.txt", CurrentBuild);

        CliResult result = _cli.Run("train", "--db", _db, current);

        Assert.Equal(0, result.Exit);
        Assert.StartsWith($"learnt   {current}  3 syscalls, +2 transitions", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_nttrace_forced_on_a_strace_log_fails_with_a_location()
    {
        _cli.RunOk("train", "--db", _db, _sample);

        CliResult result = _cli.Run("check", "--db", _db, "--format", "nttrace", Fixtures.Strace("single_plain"));

        Assert.Equal(65, result.Exit);
        Assert.StartsWith($"sysprint: error: {Fixtures.Strace("single_plain")}:1:", result.Error, StringComparison.Ordinal);
        Expect.NoStackTrace(result);
    }
}

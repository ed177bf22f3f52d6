using System.Text;
using Sysprint.Parsing;

namespace Sysprint.Core.Tests.Parsing;

/// <summary>Every line shape of FORMATS.md §2, one line at a time.</summary>
public sealed class NtTraceLineParserTests
{
    [Theory]
    // The project's published sample (older build: "DesiredAccess==").
    [InlineData("""NtOpenFile(FileHandle=0x12fb38 [0x14], DesiredAccess==FILE_EXECUTE|SYNCHRONIZE, ObjectAttributes="\??\C:\WWW\NtTrace\", IoStatusBlock=0x0012FAE4 [0/1], ShareAccess=3, OpenOptions=0x21) => 0""", -1, "NtOpenFile")]
    [InlineData("""NtQueryVolumeInformationFile(FileHandle=0x14, IoStatusBlock=0x0012FAE4 [0/8], FsInformation=0x12faf4, Length=8, FsInformationClass=4 [FileFsDeviceInformation]) => 0""", -1, "NtQueryVolumeInformationFile")]
    [InlineData("""NtQueryAttributesFile(ObjectAttributes="\??\C:\WINDOWS\system32\cmd.exe.Local", Attributes=0x0012FADC [0]) => 0xc0000034 [2 'The system cannot find the file specified.']""", -1, "NtQueryAttributesFile")]
    [InlineData("""NtWriteFile(FileHandle=4, Event=0, ApcRoutine=null, ApcContext=null, IoStatusBlock=0x0012FD8C [0/0x29], Buffer=0x4ad30e40, Length=0x29, ByteOffset=null, Key=null) => 0""", -1, "NtWriteFile")]
    // Current builds: one '=', -nonames, Zw names.
    [InlineData("""NtOpenFile(FileHandle=0x12fb38 [0x14], DesiredAccess=FILE_EXECUTE|SYNCHRONIZE, ObjectAttributes="\??\C:\WWW\NtTrace\", IoStatusBlock=0x0012FAE4 [0/1], ShareAccess=3, OpenOptions=0x21) => 0""", -1, "NtOpenFile")]
    [InlineData("""NtClose(0x14) => 0""", -1, "NtClose")]
    [InlineData("""ZwClose(Handle=0x14) => 0""", -1, "ZwClose")]
    [InlineData("""NtClose(Handle=0x14) => 0   """, -1, "NtClose")]
    // -time, -delta, both.
    [InlineData("""12:34:56.789: NtClose(Handle=0x14) => 0""", -1, "NtClose")]
    [InlineData("""+0.015: NtClose(Handle=0x14) => 0""", -1, "NtClose")]
    [InlineData("""12:34:56.789 +0.015: NtClose(Handle=0x14) => 0""", -1, "NtClose")]
    // -pid/-tid (right-aligned, width 4), -pid alone; the thread id is the key.
    [InlineData("""[2428/4460] NtClose(Handle=0x14) => 0""", 4460, "NtClose")]
    [InlineData("""[ 884/5520] NtClose(Handle=0x14) => 0""", 5520, "NtClose")]
    [InlineData("""[2428/  12] NtClose(Handle=0x14) => 0""", 12, "NtClose")]
    [InlineData("""[2428] NtClose(Handle=0x14) => 0""", 2428, "NtClose")]
    [InlineData("""[ 884] NtClose(Handle=0x14) => 0""", 884, "NtClose")]
    [InlineData("""12:34:56.789 +0.015: [ 884/5520] NtQueryAttributesFile(ObjectAttributes="\??\C:\x", Attributes=0x0012FADC [0]) => 0xc0000034 [2 'The system cannot find the file specified.']""", 5520, "NtQueryAttributesFile")]
    // The traced program's console output landing before the call.
    [InlineData("""C:\WWW>NtWriteFile(FileHandle=4, Event=0, ApcRoutine=null, ApcContext=null, IoStatusBlock=0x0012FD8C [0/0x29], Buffer=0x4ad30e40, Length=0x29, ByteOffset=null, Key=null) => 0""", -1, "NtWriteFile")]
    [InlineData("""Microsoft Windows XP [Version 5.1.2600]NtWriteFile(FileHandle=4, Length=0x29) => 0""", -1, "NtWriteFile")]
    public void Return_line_is_a_call_with_its_name_and_thread(string line, long pid, string name)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(line);

        ParsedLine rec = NtTraceLineParser.Parse(bytes);

        Assert.Equal(LineKind.Syscall, rec.Kind);
        Assert.Equal(pid, rec.Pid);
        Assert.Equal(name, Encoding.ASCII.GetString(rec.Name));
    }

    [Theory]
    [InlineData("""NtOpenFile(FileHandle=0x12fb38, DesiredAccess=FILE_EXECUTE|SYNCHRONIZE, ObjectAttributes="\??\C:\WWW\NtTrace\", IoStatusBlock=0x0012FAE4, ShareAccess=3, OpenOptions=0x21) ...""", -1, "NtOpenFile")]
    [InlineData("""12:34:56.789 +0.015: [2428/4460] NtClose(Handle=0x14) ...""", 4460, "NtClose")]
    public void Pre_entry_line_is_not_a_call(string line, long pid, string name)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(line);

        ParsedLine rec = NtTraceLineParser.Parse(bytes);

        Assert.Equal(LineKind.PreEntry, rec.Kind);
        Assert.Equal(pid, rec.Pid);
        Assert.Equal(name, Encoding.ASCII.GetString(rec.Name));
    }

    [Theory]
    [InlineData("", nameof(LineKind.Empty), -1)]
    [InlineData("   ", nameof(LineKind.Empty), -1)]
    [InlineData(""""Process 2428 starting at 4AD0B814 with command line "cmd"""", nameof(LineKind.Info), -1)]
    [InlineData(""""Process 2428 starting at 4AD0B814 with command line: "cmd"""", nameof(LineKind.Info), -1)]
    [InlineData("""C:\WINDOWS\system32\cmd.exe""", nameof(LineKind.Info), -1)]
    [InlineData("""Loaded DLL at 77F40000 ntdll.dll""", nameof(LineKind.Info), -1)]
    [InlineData("""Loaded DLL at 7C800000 C:\WINDOWS\system32\NtDll.dll""", nameof(LineKind.Info), -1)]
    [InlineData("""Unload of DLL at 77F40000""", nameof(LineKind.Info), -1)]
    [InlineData("""Initial breakpoint""", nameof(LineKind.Info), -1)]
    [InlineData("""Created thread: 4460 at 7C810856""", nameof(LineKind.Info), -1)]
    [InlineData("""C:\WWW>""", nameof(LineKind.Info), -1)]
    [InlineData("""Process 2428 exit code: 0""", nameof(LineKind.ThreadExit), 2428)]
    [InlineData("""Thread 4460 exit code: 0""", nameof(LineKind.ThreadExit), 4460)]
    [InlineData("""Thread 4460 exit code: 3221225477""", nameof(LineKind.ThreadExit), 4460)]
    public void Note_line_is_not_a_call(string line, string kind, long pid)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(line);

        ParsedLine rec = NtTraceLineParser.Parse(bytes);

        Assert.Equal(kind, rec.Kind.ToString());
        Assert.Equal(pid, rec.Pid);
    }

    [Theory]
    [InlineData("""NtClose(Handle=0x14)""", 21)]
    [InlineData("""[2428/4460] NtClose(Handle=0x14) = 0""", 37)]
    public void Call_without_a_return_value_is_malformed_at_the_end_of_the_line(string line, int column)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(line);

        ParsedLine rec = NtTraceLineParser.Parse(bytes);

        Assert.Equal(LineKind.Malformed, rec.Kind);
        Assert.Equal(column, rec.ErrorColumn);
        Assert.Equal("' => ' and the call's return value", rec.Expected);
    }
}

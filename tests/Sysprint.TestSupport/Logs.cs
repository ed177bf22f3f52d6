namespace Sysprint.TestSupport;

/// <summary>Small hand-written logs whose calls are known by heart (x86_64 numbers: read 0, write 1, close 3, openat 257, socket 41).</summary>
public static class Logs
{
    /// <summary>A normal cat-like run with <c>-f -o</c> prefixes: openat → read → close, in pid 100.</summary>
    public const string Normal =
        """
        100   openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3
        100   read(3, "vm\n", 131072) = 3
        100   close(3) = 0
        100   +++ exited with 0 +++

        """;

    /// <summary>NtTrace lines from FORMATS.md §2 (the project's published sample, an older build).</summary>
    public const string NtTraceSample =
        """
        Process 2428 starting at 4AD0B814 with command line "cmd"
        Loaded DLL at 77F40000 ntdll.dll
        NtOpenFile(FileHandle=0x12fb38 [0x14], DesiredAccess==FILE_EXECUTE|SYNCHRONIZE, ObjectAttributes="\??\C:\WWW\NtTrace\", IoStatusBlock=0x0012FAE4 [0/1], ShareAccess=3, OpenOptions=0x21) => 0
        NtQueryVolumeInformationFile(FileHandle=0x14, IoStatusBlock=0x0012FAE4 [0/8], FsInformation=0x12faf4, Length=8, FsInformationClass=4 [FileFsDeviceInformation]) => 0
        NtQueryAttributesFile(ObjectAttributes="\??\C:\WINDOWS\system32\cmd.exe.Local", Attributes=0x0012FADC [0]) => 0xc0000034 [2 'The system cannot find the file specified.']
        NtWriteFile(FileHandle=4, Event=0, ApcRoutine=null, ApcContext=null, IoStatusBlock=0x0012FD8C [0/0x29], Buffer=0x4ad30e40, Length=0x29, ByteOffset=null, Key=null) => 0
        Process 2428 exit code: 0

        """;

    /// <summary><paramref name="cycles"/> normal openat → read → close cycles of a pid.</summary>
    public static string NormalLines(int pid, int cycles)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < cycles; i++)
        {
            sb.Append(pid).Append("   openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY) = 3\n");
            sb.Append(pid).Append("   read(3, \"vm\\n\", 131072) = 3\n");
            sb.Append(pid).Append("   close(3) = 0\n");
        }

        return sb.ToString();
    }

    /// <summary>An injected call: read → socket is unknown (and so is socket → close).</summary>
    public static string Injection(int pid) =>
        $"{pid}   openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY) = 3\n" +
        $"{pid}   read(3, \"vm\\n\", 131072) = 3\n" +
        $"{pid}   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4\n" +
        $"{pid}   close(3) = 0\n";
}

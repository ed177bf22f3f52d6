using System.Runtime.InteropServices;

namespace Sysprint.Agent.Tracing.Native;

/// <summary>
/// The Linux calls the native tracer makes: ptrace(2), waitpid(2), process_vm_readv(2) and the
/// posix_spawn(3) family, with the constants of <c>&lt;linux/ptrace.h&gt;</c> (the same on x86_64 and arm64).
/// </summary>
internal static unsafe partial class Ptrace
{
    public const int PokeData = 5;
    public const int Cont = 7;
    public const int GetRegs = 12;
    public const int SetRegs = 13;
    public const int Syscall = 24;
    public const int Detach = 17;
    public const int PokeUser = 6;
    public const int SetOptions = 0x4200;
    public const int GetEventMessage = 0x4201;
    public const int Seize = 0x4206;
    public const int Interrupt = 0x4207;
    public const int Listen = 0x4208;
    public const int GetSyscallInfo = 0x420e;

    public const int OptionTraceSysGood = 0x1;
    public const int OptionTraceFork = 0x2;
    public const int OptionTraceVfork = 0x4;
    public const int OptionTraceClone = 0x8;
    public const int OptionTraceExec = 0x10;
    public const int OptionTraceSeccomp = 0x80;
    public const int OptionExitKill = 0x100000;

    public const int EventFork = 1;
    public const int EventVfork = 2;
    public const int EventClone = 3;
    public const int EventExec = 4;
    public const int EventSeccomp = 7;
    public const int EventStop = 128;

    public const byte InfoEntry = 1;
    public const byte InfoExit = 2;
    public const byte InfoSeccomp = 3;

    public const uint ArchX8664 = 0xC000003E;
    public const uint ArchI386 = 0x40000003;

    /// <summary>Offsets in x86_64's <c>struct user_regs_struct</c> (PTRACE_POKEUSER).</summary>
    public const int OffsetRax = 10 * 8;
    public const int OffsetOrigRax = 15 * 8;
    public const int OffsetRip = 16 * 8;

    /// <summary>Words of x86_64's <c>struct user_regs_struct</c> (PTRACE_GETREGS), and the indexes used.</summary>
    public const int RegsWords = 27;
    public const int RegR10 = 7;
    public const int RegR8 = 9;
    public const int RegRax = 10;
    public const int RegRdx = 12;
    public const int RegRsi = 13;
    public const int RegRdi = 14;
    public const int RegOrigRax = 15;
    public const int RegRip = 16;
    public const int RegRsp = 19;

    public const int WaitAll = 0x40000000;
    public const int WaitNoHang = 1;
    public const int WaitExitedFlag = 4;
    public const int WaitNoWait = 0x01000000;
    public const int IdTypeAll = 0;

    /// <summary>Bytes of <c>siginfo_t</c>; <c>si_code</c> is at 8, <c>si_pid</c> at 16 and <c>si_status</c> at 24 for SIGCHLD.</summary>
    public const int SigInfoBytes = 128;
    public const int SigInfoCodeOffset = 8;
    public const int SigInfoPidOffset = 16;
    public const int SigInfoStatusOffset = 24;

    public const int SigTrap = 5;
    public const int SigKill = 9;
    public const int SigStop = 19;
    public const int SigTstp = 20;
    public const int SigTtin = 21;
    public const int SigTtou = 22;
    public const int SigPipe = 13;
    public const int SigChld = 17;

    /// <summary>Bytes of glibc's x86_64 <c>struct sigaction</c>: handler, 128-byte mask, then <c>sa_flags</c> at 136.</summary>
    public const int SigActionBytes = 152;
    public const int SigActionFlagsOffset = 136;
    public const int SaNoCldStop = 1;

    public const int Eperm = 1;
    public const int Esrch = 3;
    public const int Eintr = 4;
    public const int Echild = 10;
    public const int Eacces = 13;

    public const int ORdOnly = 0;
    public const int OWrOnly = 1;
    public const int ORdWr = 2;
    public const int OCloExec = 0x80000;

    public const short SpawnSetSigDefault = 0x04;
    public const short SpawnSetSigMask = 0x08;

    /// <summary>Bytes that hold glibc's <c>posix_spawn_file_actions_t</c> (80) or <c>posix_spawnattr_t</c> (336), with room to spare.</summary>
    public const int SpawnStructBytes = 512;

    /// <summary>Bytes of glibc's <c>sigset_t</c>.</summary>
    public const int SigSetBytes = 128;

    [LibraryImport("libc", EntryPoint = "ptrace", SetLastError = true)]
    public static partial nint Request(int request, int pid, nint address, nint data);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    public static partial int WaitPid(int pid, int* status, int options);

    [LibraryImport("libc", EntryPoint = "waitid", SetLastError = true)]
    public static partial int WaitId(int idType, int id, byte* info, int options);

    [LibraryImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    public static partial int SigAction(int signal, byte* action, byte* old);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "getpid")]
    public static partial int GetPid();

    [LibraryImport("libc", EntryPoint = "process_vm_readv", SetLastError = true)]
    public static partial nint ProcessVmReadv(int pid, IoVec* local, nuint localCount, IoVec* remote, nuint remoteCount, nuint flags);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "posix_spawn")]
    public static partial int PosixSpawn(int* pid, byte* path, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
    public static partial int FileActionsInit(void* fileActions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addopen", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int FileActionsAddOpen(void* fileActions, int fd, string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addclose")]
    public static partial int FileActionsAddClose(void* fileActions, int fd);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
    public static partial int FileActionsDestroy(void* fileActions);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_init")]
    public static partial int AttrInit(void* attributes);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setflags")]
    public static partial int AttrSetFlags(void* attributes, short flags);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigmask")]
    public static partial int AttrSetSigMask(void* attributes, void* mask);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigdefault")]
    public static partial int AttrSetSigDefault(void* attributes, void* signals);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_destroy")]
    public static partial int AttrDestroy(void* attributes);

    [LibraryImport("libc", EntryPoint = "sigemptyset")]
    public static partial int SigEmptySet(void* set);

    [LibraryImport("libc", EntryPoint = "sigaddset")]
    public static partial int SigAddSet(void* set, int signal);

    /// <summary>One <c>struct iovec</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary>
    /// <c>struct ptrace_syscall_info</c> (Linux 5.3): whether the stop is a call's entry or exit, the
    /// ABI, and the number and arguments (entry) or the return value (exit).
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 96)]
    public struct SyscallInfo
    {
        [FieldOffset(0)] public byte Op;
        [FieldOffset(4)] public uint Arch;
        [FieldOffset(8)] public ulong InstructionPointer;
        [FieldOffset(16)] public ulong StackPointer;
        [FieldOffset(24)] public ulong Number;
        [FieldOffset(24)] public long ReturnValue;
        [FieldOffset(32)] public ulong Arg0;
        [FieldOffset(32)] public byte IsError;
        [FieldOffset(40)] public ulong Arg1;
        [FieldOffset(48)] public ulong Arg2;
        [FieldOffset(56)] public ulong Arg3;
        [FieldOffset(64)] public ulong Arg4;
        [FieldOffset(72)] public ulong Arg5;
    }

    public static bool WaitExited(int status) => (status & 0x7f) == 0;

    public static int ExitStatus(int status) => (status >> 8) & 0xff;

    public static bool WaitSignaled(int status) => (status & 0x7f) != 0 && (status & 0x7f) != 0x7f;

    public static int TermSignal(int status) => status & 0x7f;

    public static bool WaitStopped(int status) => (status & 0xff) == 0x7f;

    public static int StopSignal(int status) => (status >> 8) & 0xff;

    public static int Event(int status) => (status >> 16) & 0xffff;

    public static bool CoreDumped(int status) => (status & 0x80) != 0;
}

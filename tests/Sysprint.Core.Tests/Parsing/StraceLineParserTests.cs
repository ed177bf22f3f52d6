using System.Text;
using Sysprint.Parsing;

namespace Sysprint.Core.Tests.Parsing;

/// <summary>Every line shape of FORMATS.md §1 and of the fixtures' README, one line at a time.</summary>
public sealed class StraceLineParserTests
{
    [Theory]
    // Plain calls and their return shapes.
    [InlineData("""openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3""", -1, "openat", -1)]
    [InlineData("""access("/etc/ld.so.preload", R_OK)      = -1 ENOENT (No such file or directory)""", -1, "access", -1)]
    [InlineData("""ioctl(3, 0x1234)                        = -1 (errno 1234)""", -1, "ioctl", -1)]
    [InlineData("""read(0, 0x7ffd, 1)                      = ? ERESTARTSYS (To be restarted if SA_RESTART is set)""", -1, "read", -1)]
    [InlineData("""exit_group(0)                           = ?""", -1, "exit_group", -1)]
    [InlineData("""exit_group(0)                           = ? <unavailable>""", -1, "exit_group", -1)]
    [InlineData("""select(4, [3], NULL, NULL, NULL)        = 1 (in [3])""", -1, "select", -1)]
    [InlineData("""poll([{fd=3, events=POLLIN}], 1, 0)    = 0 (Timeout)""", -1, "poll", -1)]
    [InlineData("""getpid()                                = 42 (INJECTED)""", -1, "getpid", -1)]
    [InlineData("""close(3)                                = 0 <0.000123>""", -1, "close", -1)]
    [InlineData("""kill(4361, SIGKILL)                     = ?""", -1, "kill", -1)]
    [InlineData("""rt_sigreturn({mask=[]})                 = 4274""", -1, "rt_sigreturn", -1)]
    [InlineData("""restart_syscall(<... resuming interrupted nanosleep ...>) = 0""", -1, "restart_syscall", -1)]
    [InlineData("""write(1, "a) = 5, \"(b", 9)                = 9""", -1, "write", -1)]
    [InlineData("""readlink("/proc/self/exe", "/tmp/sysprint-capture.OIoMyq/yy_"..., 4096) = 39""", -1, "readlink", -1)]
    // -y / -yy / -X verbose decorations.
    [InlineData("""openat(AT_FDCWD</>, "/etc/hostname", O_RDONLY) = 3</etc/hostname>""", -1, "openat", -1)]
    [InlineData("""close(2</dev/null<char 1:3>>)           = 0""", -1, "close", -1)]
    [InlineData("""socketpair(AF_UNIX, SOCK_STREAM, 0, [3<UNIX-STREAM:[7397->7398]>, 4<UNIX-STREAM:[7398->7397]>]) = 0""", -1, "socketpair", -1)]
    [InlineData("""accept(3<TCP:[127.0.0.1:40611]>, NULL, NULL) = 5<TCP:[127.0.0.1:40611->127.0.0.1:55160]>""", -1, "accept", -1)]
    [InlineData("""openat(-100 /* AT_FDCWD */, "/etc/ld.so.cache", 0x80000 /* O_RDONLY|O_CLOEXEC */) = 3""", -1, "openat", -1)]
    // Pid prefixes: -f to stderr, -f -o FILE, wider pids, -Y comm in both.
    [InlineData("""[pid  1234] openat(AT_FDCWD, "/etc/passwd", O_RDONLY) = 3""", 1234, "openat", -1)]
    [InlineData("""[pid 28772] select(4, [3], NULL, NULL, NULL <unfinished ...>""", 28772, "select", -1)]
    [InlineData("""4285  brk(NULL)                      = 0x555555576000""", 4285, "brk", -1)]
    [InlineData("""123456 brk(NULL)                     = 0x555555576000""", 123456, "brk", -1)]
    [InlineData("""4309<strace> execve("/usr/bin/sh", ["sh", "-c", "cat /etc/hostname >/dev/null; ls"...], 0x7fffffffed88 /* 2 vars */) = 0""", 4309, "execve", -1)]
    [InlineData("""4309<sh> brk(NULL)                      = 0x555555576000""", 4309, "brk", -1)]
    [InlineData("""[pid  4310<cat>] brk(NULL)              = 0x555555560000""", 4310, "brk", -1)]
    [InlineData("""[pid  4310<my cat>] brk(NULL)           = 0x555555560000""", 4310, "brk", -1)]
    // Timestamps: -t, -tt, -ttt, nanoseconds, -r, -t -r; with and without pids.
    [InlineData("""12:34:56 close(2)                       = 0""", -1, "close", -1)]
    [InlineData("""12:34:56.123456 close(2)                = 0""", -1, "close", -1)]
    [InlineData("""1795655591.694168 close(2)              = 0""", -1, "close", -1)]
    [InlineData("""01:13:11.123456789 close(2)             = 0""", -1, "close", -1)]
    [InlineData("""     0.000116 close(2)                  = 0""", -1, "close", -1)]
    [InlineData("""01:13:11 (+     0.000133) close(2)      = 0""", -1, "close", -1)]
    [InlineData("""4342  01:13:11.886678 close(2)          = 0 <0.000007>""", 4342, "close", -1)]
    [InlineData("""4342       0.000116 close(2)            = 0""", 4342, "close", -1)]
    [InlineData("""[pid  4342] 01:13:11 (+     0.000133) close(2) = 0""", 4342, "close", -1)]
    // -n numbers and -i instruction pointers.
    [InlineData("""[ 257] openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3""", -1, "openat", 257)]
    [InlineData("""[2989] syscall_0xbad(0x10, 0x20, 0, 0, 0, 0) = -1 ENOSYS (Function not implemented)""", -1, "syscall_0xbad", 0xbad)]
    [InlineData("""[???] openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3""", -1, "openat", -1)]
    [InlineData("""[00007ffff7fe9c47] brk(NULL)            = 0x555555560000""", -1, "brk", -1)]
    [InlineData("""[f7f3e549] brk(NULL)                    = 0x8051000""", -1, "brk", -1)]
    [InlineData("""01:13:11.886678 [  59] [00007ffff7e86ad7] execve("/usr/bin/cat", ["cat", "/etc/hostname"], 0x7fffffffedb8 /* 2 vars */) = 0 <0.000084>""", -1, "execve", 59)]
    [InlineData("""4342  01:13:11.886678 [  59] [00007ffff7e86ad7] execve("/usr/bin/cat", ["cat"], 0x7fff /* 2 vars */) = 0""", 4342, "execve", 59)]
    // Unknown calls state their number in hex.
    [InlineData("""syscall_0x1b3(0x1, 0x2, 0x3, 0, 0, 0)   = -1 ENOSYS (Function not implemented)""", -1, "syscall_0x1b3", 0x1b3)]
    [InlineData("""syscall_0x3e7(0x1, 0x2, 0x3, 0, 0, 0)   = -1 ENOSYS (Function not implemented)""", -1, "syscall_0x3e7", 0x3e7)]
    [InlineData("""[ 999] syscall_0x3e7(0x1, 0x2, 0x3, 0, 0, 0) = -1 ENOSYS (Function not implemented)""", -1, "syscall_0x3e7", 999)]
    [InlineData("""syscall_0x(0x1)                         = -1 ENOSYS (Function not implemented)""", -1, "syscall_0x", -1)]
    // Entries cut by other output (strace to stderr): the call still counts here.
    [InlineData("""write(1, "oops\n", 5oops""", -1, "write", -1)]
    [InlineData("""vfork(strace: Process 4274 attached""", -1, "vfork", -1)]
    [InlineData("""[pid  4275] write(2, "ls: ", 4ls: )         = 4""", 4275, "write", -1)]
    [InlineData("""[pid  4275] write(2, "\n", 1""", 4275, "write", -1)]
    public void Call_line_gives_its_name_pid_and_stated_number(string line, long pid, string name, int number)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(line);

        ParsedLine rec = StraceLineParser.Parse(bytes);

        Assert.Equal(LineKind.Syscall, rec.Kind);
        Assert.Equal(pid, rec.Pid);
        Assert.Equal(name, Encoding.ASCII.GetString(rec.Name));
        Assert.Equal(number, rec.Number);
    }

    [Theory]
    [InlineData("""clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLDstrace: Process 8599 attached""", 8599)]
    [InlineData("""vfork(strace: Process 8600 attached""", 8600)]
    [InlineData("""[pid  8598] clone3({flags=CLONE_VM, child_tid=0x7ffff7ff6990, tls=0x7ffff7ff66c0}strace: Process 8601 attached""", 8601)]
    [InlineData("""write(1, "attached", 8)                 = 8""", 0)]
    [InlineData("""write(1, "strace: Process 1 attached", 26strace: Process x attached""", 0)]
    [InlineData("""write(1, "strace: Process  attached""", 0)]
    public void Notice_cutting_an_entry_line_names_the_attached_child(string line, long attached)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(line);

        ParsedLine rec = StraceLineParser.Parse(bytes);

        Assert.Equal(LineKind.Syscall, rec.Kind);
        Assert.Equal(attached, rec.SplicedAttach);
    }

    [Theory]
    [InlineData("""[pid 28772] select(4, [3], NULL, NULL, NULL <unfinished ...>""", true)]
    [InlineData("""4342  rt_sigprocmask(SIG_SETMASK, ~[RTMIN RT_1],  <unfinished ...>""", true)]
    [InlineData("""4342  vfork( <unfinished ...>""", true)]
    [InlineData("""4342  close(3)                       = 0""", false)]
    public void Unfinished_entry_is_marked(string line, bool unfinished)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(line);

        ParsedLine rec = StraceLineParser.Parse(bytes);

        Assert.Equal(LineKind.Syscall, rec.Kind);
        Assert.Equal(unfinished, rec.Unfinished);
    }

    [Theory]
    [InlineData("", nameof(LineKind.Empty), -1)]
    // Resumed calls.
    [InlineData("""<... vfork resumed>)                    = 4274""", nameof(LineKind.Resumed), -1)]
    [InlineData("""[pid  4273] <... vfork resumed>)        = 4274""", nameof(LineKind.Resumed), 4273)]
    [InlineData("""4342  <... rt_sigprocmask resumed>NULL, 8) = 0""", nameof(LineKind.Resumed), 4342)]
    [InlineData("""4309<sh> <... vfork resumed>)           = 4310<cat>""", nameof(LineKind.Resumed), 4309)]
    [InlineData("""<... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 4274""", nameof(LineKind.Resumed), -1)]
    // Signals.
    [InlineData("""--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=4274, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---""", nameof(LineKind.Signal), -1)]
    [InlineData("""4342  --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=4343} ---""", nameof(LineKind.Signal), 4342)]
    [InlineData("""--- stopped by SIGSTOP ---""", nameof(LineKind.Signal), -1)]
    [InlineData("""12:34:56.123456 --- SIGCHLD {si_signo=SIGCHLD} ---""", nameof(LineKind.Signal), -1)]
    // Exits end the thread.
    [InlineData("""+++ exited with 0 +++""", nameof(LineKind.ThreadExit), -1)]
    [InlineData("""+++ exited with 2 +++""", nameof(LineKind.ThreadExit), -1)]
    [InlineData("""+++ killed by SIGKILL +++""", nameof(LineKind.ThreadExit), -1)]
    [InlineData("""+++ killed by SIGSEGV (core dumped) +++""", nameof(LineKind.ThreadExit), -1)]
    [InlineData("""+++ superseded by execve in pid 1234 +++""", nameof(LineKind.ThreadExit), -1)]
    [InlineData("""[pid  4274] +++ exited with 0 +++""", nameof(LineKind.ThreadExit), 4274)]
    [InlineData("""4344  +++ exited with 0 +++""", nameof(LineKind.ThreadExit), 4344)]
    [InlineData("""[????????????????] +++ exited with 0 +++""", nameof(LineKind.ThreadExit), -1)]
    [InlineData("""[ 231] +++ exited with 0 +++""", nameof(LineKind.ThreadExit), -1)]
    [InlineData("""1795655591.694168 +++ exited with 0 +++""", nameof(LineKind.ThreadExit), -1)]
    [InlineData("""     0.000041 +++ exited with 0 +++""", nameof(LineKind.ThreadExit), -1)]
    // -k stack frames.
    [InlineData(""" > /usr/lib/x86_64-linux-gnu/libc.so.6(__write+0x10) [0xf8350]""", nameof(LineKind.Stack), -1)]
    [InlineData(""" > /usr/bin/cat() [0x5d86]""", nameof(LineKind.Stack), -1)]
    [InlineData(""" > /usr/bin/cat(+0x0) [0x3151]""", nameof(LineKind.Stack), -1)]
    // strace's own messages; only "attached" names a pid (the heuristic needs the children).
    [InlineData("""strace: Process 1234 attached""", nameof(LineKind.TracerMessage), 1234)]
    [InlineData("""strace: Process 1234 attached with 3 threads""", nameof(LineKind.TracerMessage), 1234)]
    [InlineData("""strace: Process 1234 detached""", nameof(LineKind.TracerMessage), -1)]
    [InlineData("""[ Process PID=1234 runs in 32 bit mode. ]""", nameof(LineKind.Personality), -1)]
    // The rest of a cut entry line.
    [InlineData(""")                   = 5""", nameof(LineKind.Continuation), -1)]
    [InlineData(""")           = 1""", nameof(LineKind.Continuation), -1)]
    [InlineData(""" <unfinished ...>""", nameof(LineKind.Continuation), -1)]
    // The traced program's own stderr.
    [InlineData("""cat: /nonexistent: No such file or directory""", nameof(LineKind.Foreign), -1)]
    [InlineData("""oops""", nameof(LineKind.Foreign), -1)]
    public void Non_call_line_is_classified(string line, string kind, long pid)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(line);

        ParsedLine rec = StraceLineParser.Parse(bytes);

        Assert.Equal(kind, rec.Kind.ToString());
        Assert.Equal(pid, rec.Pid);
        Assert.True(rec.Name.IsEmpty);
    }

    [Theory]
    [InlineData("""[pid abc] open() = 0""", 6, "a process id after '[pid'")]
    [InlineData("""[pid  12 open() = 0""", 9, "']' after the process id")]
    [InlineData("""[pid  12<sh open() = 0""", 9, "'>]' after the process name")]
    [InlineData("""12ab open() = 0""", 1, "a timestamp or a system call name")]
    [InlineData("""4342  12ab open() = 0""", 7, "a timestamp or a system call name")]
    [InlineData("""     abc close(2) = 0""", 6, "a relative timestamp or a system call name")]
    [InlineData("""[ 257 openat() = 3""", 1, "']' closing the bracketed field")]
    [InlineData("""[xyz] openat() = 3""", 2, "a syscall number or an instruction pointer in brackets")]
    [InlineData("""[] openat() = 3""", 2, "a syscall number or an instruction pointer in brackets")]
    [InlineData("""4321  """, 7, "a system call after the line prefix")]
    [InlineData("""4321  Open(3) = 0""", 7, "a system call name (lowercase letters, digits, '_')")]
    [InlineData("""4321  open[3] = 0""", 11, "'(' after the system call name")]
    [InlineData("""12:34:56 open = 0""", 14, "'(' after the system call name")]
    [InlineData("""Close(1) = 0""", 1, "a system call name (lowercase letters, digits, '_')")]
    public void Malformed_line_names_the_column_and_what_was_expected(string line, int column, string expected)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(line);

        ParsedLine rec = StraceLineParser.Parse(bytes);

        Assert.Equal(LineKind.Malformed, rec.Kind);
        Assert.Equal(column, rec.ErrorColumn);
        Assert.Equal(expected, rec.Expected);
    }
}

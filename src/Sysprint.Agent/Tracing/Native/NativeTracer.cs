using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Sysprint.Agent.Live;
using Sysprint.Diagnostics;
using Sysprint.Mapping;

namespace Sysprint.Agent.Tracing.Native;

/// <summary>
/// Traces a command (or a running process) with ptrace(2) directly, following every thread and
/// child, and checks each call at its entry, before the kernel runs it: an anomalous call can be
/// denied (it returns an errno instead of running), or the traced tree killed or stopped first.
/// Linux x86_64 (64-bit and 32-bit processes).
/// </summary>
/// <remarks>
/// <para>
/// strace's model: PTRACE_SEIZE with TRACESYSGOOD and the fork, vfork, clone and exec events (and
/// EXITKILL when failing closed); every stop is waited for with <c>waitpid(-1, __WALL)</c> on one
/// dedicated thread, since the kernel takes ptrace requests only from the thread that seized. A
/// signal-delivery stop is resumed with the signal, a group-stop with PTRACE_LISTEN (the process
/// stays stopped until SIGCONT, as untraced), so the program behaves as it would untraced.
/// </para>
/// <para>
/// Per stop: one waitpid, one PTRACE_GET_SYSCALL_INFO into a stack struct (which says entry from
/// exit, the ABI and the number), one PTRACE_SYSCALL; a call is skipped by PTRACE_POKEUSER of
/// <c>orig_rax</c> = -1 and its result set by poking <c>rax</c>. Nothing is allocated per stop.
/// </para>
/// </remarks>
internal sealed unsafe class NativeTracer
{
    private const int SyscallNumberExecve = 59;
    private const int SyscallNumberPrctl = 157;
    private const int SyscallNumberSeccomp = 317;
    private const int PrSetNoNewPrivs = 38;
    private const int SeccompSetModeFilter = 1;

    /// <summary>
    /// The filter's one instruction, a <c>struct sock_filter</c> as a little-endian word:
    /// <c>BPF_RET|BPF_K</c> (0x06) of <c>SECCOMP_RET_TRACE</c> (0x7ff00000), for every call.
    /// </summary>
    private const ulong TraceEveryCall = 0x06UL | (0x7ff00000UL << 32);

    /// <summary><c>si_code</c> of a SIGCHLD: a ptrace stop; a stop or continuation (never a foreign child's: waitid is not asked for them).</summary>
    private const int CldTrapped = 4;
    private const int CldStopped = 5;
    private const int CldContinued = 6;

    private readonly TraceOptions _options;
    private readonly LiveCheck? _check;
    private readonly TraceLogWriter _log;
    private readonly Abi _x8664;
    private readonly Abi _i386;
    private readonly Dictionary<int, Tracee> _tracees = [];
    private readonly Dictionary<long, byte[]> _unknownNames = [];
    private readonly List<int> _signalled = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, bool> _wakers = new();
    private Tracee? _last;
    private int _rootPid;
    private string? _rootPath;
    private int _options0;
    private volatile bool _cancelRequested;
    private bool _cancelHandled;
    private bool _killing;
    private bool _detaching;
    private bool _stopped;
    private bool _filtered;
    private byte[]? _arguments;

    public NativeTracer(TraceOptions options, SyscallTable table, LiveCheck? check, TraceLogWriter log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(log);
        _options = options;
        _check = check;
        _log = log;
        _x8664 = new Abi(SyscallTable.Builtin("x86_64"), table);
        _i386 = new Abi(SyscallTable.Builtin("i386"), table);
    }

    /// <summary>The command's exit status (128 + N when killed by signal N); null when attached.</summary>
    public int? ExitCode { get; private set; }

    /// <summary>The processes killed or stopped because of the anomaly.</summary>
    public IReadOnlyList<int> Signalled => _signalled;

    /// <summary>Calls denied (<c>--on-anomaly deny</c>).</summary>
    public long Denied { get; private set; }

    /// <summary>
    /// Anomalous calls let run under <c>--on-anomaly deny</c> because they cannot fail: see
    /// <see cref="Abi.Deniable"/>. Their alerts are raised all the same.
    /// </summary>
    public long Undeniable { get; private set; }

    /// <summary>Calls seen (log lines of call entries).</summary>
    public long Syscalls { get; private set; }

    /// <summary>Calls whose name the store's mapping lacks: in the log, not checked.</summary>
    public long Unmapped { get; private set; }

    /// <summary>The program of the first exec.</summary>
    public string? FirstProgram { get; private set; }

    /// <summary>The command's executable, read through <c>/proc/PID/exe</c> at its exec (a run only; null before, or when unreadable).</summary>
    public TracedBinary? RootBinary { get; private set; }

    /// <summary>
    /// Traces to the end: every traced thread has exited or, after <paramref name="cancellationToken"/>
    /// fired, been killed (failing closed) or detached (failing open). Runs on a thread of its own.
    /// </summary>
    /// <exception cref="SysprintException">The command does not exist or cannot run (66), or ptrace is refused (69).</exception>
    public void Run(CancellationToken cancellationToken)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                Trace();
            }
            catch (Exception e)
            {
                failure = e;
            }
        })
        {
            IsBackground = true,
            Name = "sysprint tracer",
        };
        using CancellationTokenRegistration cancel = cancellationToken.Register(Cancel);
        bool quiet = QuietStops(true);
        try
        {
            thread.Start();
            thread.Join();
        }
        finally
        {
            if (quiet)
            {
                QuietStops(false);
            }
        }

        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }
    }

    /// <summary>
    /// Each tracee stop also sends this process a SIGCHLD, which wakes .NET's signal thread to look
    /// for exited children: a thread switch per stop, for nothing. SA_NOCLDSTOP on the installed
    /// handler keeps SIGCHLD for exits only (all .NET's Process needs) while tracing.
    /// </summary>
    /// <returns>True when the flag was set here (and is to be cleared after).</returns>
    private static bool QuietStops(bool quiet)
    {
        byte* action = stackalloc byte[Ptrace.SigActionBytes];
        if (Ptrace.SigAction(Ptrace.SigChld, null, action) != 0)
        {
            return false;
        }

        int* flags = (int*)(action + Ptrace.SigActionFlagsOffset);
        if (((*flags & Ptrace.SaNoCldStop) != 0) == quiet)
        {
            return false;
        }

        *flags = quiet ? *flags | Ptrace.SaNoCldStop : *flags & ~Ptrace.SaNoCldStop;
        return Ptrace.SigAction(Ptrace.SigChld, action, null) == 0;
    }

    private void Trace()
    {
        _options0 = Ptrace.OptionTraceSysGood | Ptrace.OptionTraceFork | Ptrace.OptionTraceVfork
            | Ptrace.OptionTraceClone | Ptrace.OptionTraceExec | (_options.FailOpen ? 0 : Ptrace.OptionExitKill)
            | (OneStopPerCall ? Ptrace.OptionTraceSeccomp : 0);
        if (_options.AttachPid is { } pid)
        {
            Attach(pid);
            Loop();
            return;
        }

        string path = Executables.Find(_options.Command[0]) is { } found ? Path.GetFullPath(found)
            : throw new SysprintException(ErrorKind.InputMissing, $"{Printable.Escape(_options.Command[0])}: command not found");
        string directory = Directory.CreateTempSubdirectory("sysprint-trace-").FullName;
        try
        {
            var (spawner, root) = Spawner.Start(directory, path, _options.Command, Environment(), _options0, _options.InheritStdio);
            using (spawner)
            {
                _rootPid = root;
                Tracee first = Add(root);
                first.Started = false;
                first.Install = OneStopPerCall ? FilterInstall.Pending : FilterInstall.None;
                _rootPath = path;
                Loop();
                int error = spawner.Error;
                if (error != 0 && Syscalls == 0)
                {
                    throw new SysprintException(ErrorKind.InputMissing,
                        $"{Printable.Escape(_options.Command[0])}: cannot execute: {Marshal.GetPInvokeErrorMessage(error)}");
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// A started command failing closed gets the seccomp filter that makes each call one stop (its
    /// entry) instead of two: not when failing open, since the filter outlives the tracer and, with
    /// no tracer, makes every call fail with ENOSYS; not when attaching (the process was not started here).
    /// </summary>
    private bool OneStopPerCall => _options.OneStopPerCall && !_options.FailOpen && _options.AttachPid is null;

    /// <summary>True once the command's first thread has the filter: every tracee stops at call entries only, as seccomp stops.</summary>
    public bool Filtered => _filtered;

    /// <summary>Ends the trace from any thread: the loop kills or detaches (as <c>--fail</c> says) once woken.</summary>
    private void Cancel()
    {
        _cancelRequested = true;

        // The loop sleeps in waitpid: a child of ours that exits at once wakes it.
        byte[] waker = Encoding.UTF8.GetBytes((Executables.Find("true") ?? "/bin/true") + "\0");
        fixed (byte* path = waker)
        {
            int pid = Wake(path);
            if (pid > 0)
            {
                _wakers[pid] = true;
            }
        }
    }

    private static int Wake(byte* path)
    {
        byte** argv = stackalloc byte*[2];
        argv[0] = path;
        argv[1] = null;
        byte** envp = stackalloc byte*[1];
        envp[0] = null;
        int pid = 0;
        return Ptrace.PosixSpawn(&pid, path, null, null, argv, envp) == 0 ? pid : 0;
    }

    private List<string> Environment()
    {
        // strace passes its own environment with -E's entries set: read ours in its order.
        var entries = new List<string>();
        foreach (string entry in File.ReadAllText("/proc/self/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = entry.IndexOf('=', StringComparison.Ordinal);
            string name = eq < 0 ? entry : entry[..eq];
            if (!_options.Environment.ContainsKey(name))
            {
                entries.Add(entry);
            }
        }

        foreach (var (name, value) in _options.Environment)
        {
            entries.Add($"{name}={value}");
        }

        return entries;
    }

    private void Attach(int pid)
    {
        if (!Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}"))
        {
            throw new SysprintException(ErrorKind.InputMissing, $"no process {pid.ToString(CultureInfo.InvariantCulture)}");
        }

        // Threads may start while we attach: list them again until no new one appears.
        bool any = true;
        while (any)
        {
            any = false;
            string tasks = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task";
            IEnumerable<string> listing;
            try
            {
                listing = Directory.EnumerateDirectories(tasks).ToList();
            }
            catch (DirectoryNotFoundException)
            {
                break;
            }

            foreach (string dir in listing)
            {
                if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int tid) || _tracees.ContainsKey(tid))
                {
                    continue;
                }

                if (Ptrace.Request(Ptrace.Seize, tid, 0, _options0) != 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Ptrace.Esrch && _tracees.Count > 0)
                    {
                        continue;
                    }

                    throw TracePermission.Refused(errno, attach: true, pid);
                }

                Ptrace.Request(Ptrace.Interrupt, tid, 0, 0);
                Add(tid).Started = true;
                any = true;
            }
        }
    }

    private Tracee Add(int tid)
    {
        var tracee = new Tracee(tid) { Started = true };
        _tracees[tid] = tracee;
        return tracee;
    }

    private void Loop()
    {
        int status;
        while (_tracees.Count > 0)
        {
            if (_cancelRequested && !_cancelHandled)
            {
                HandleCancel();
            }

            int pid = NextStop(&status);
            if (pid < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Ptrace.Eintr)
                {
                    continue;
                }

                // ECHILD: nothing left to wait for (tracees gone without our seeing their end).
                break;
            }

            Tracee? t = _last is not null && _last.Tid == pid ? _last : Find(pid);
            if (t is null)
            {
                if (Ptrace.WaitStopped(status))
                {
                    // A new thread or child reporting before its parent's fork/clone event.
                    t = Add(pid);
                    if (_killing)
                    {
                        Ptrace.Kill(pid, Ptrace.SigKill);
                    }
                }
                else
                {
                    // A child of ours that was not traced (the waker of Cancel, a sink's program).
                    continue;
                }
            }

            _last = t;
            if (!Ptrace.WaitStopped(status))
            {
                Gone(t, status);
                continue;
            }

            int signal = Ptrace.StopSignal(status);
            if (signal == (Ptrace.SigTrap | 0x80))
            {
                OnSyscallStop(t);
                continue;
            }

            int ev = Ptrace.Event(status);
            if (ev != 0)
            {
                OnEvent(t, ev, signal);
                continue;
            }

            // Signal-delivery stop: pass the signal on, as it would have arrived untraced.
            if (t.Started)
            {
                _log.Signal(t.Tid, signal);
            }

            Resume(t, signal);
        }

        _log.Flush();
    }

    /// <summary>
    /// The next tracee to report, its status in <paramref name="status"/>. Other children of this
    /// process (started by .NET's Process, which reaps them itself) are left alone: the stop is
    /// peeked at with WNOWAIT first and taken only when it is a tracee's.
    /// </summary>
    private int NextStop(int* status)
    {
        byte* info = stackalloc byte[Ptrace.SigInfoBytes];
        int foreign = 0;
        DateTime foreignSince = default;
        while (true)
        {
            new Span<byte>(info, Ptrace.SigInfoBytes).Clear();
            if (Ptrace.WaitId(Ptrace.IdTypeAll, 0, info, Ptrace.WaitExitedFlag | Ptrace.WaitNoWait | Ptrace.WaitAll) != 0)
            {
                return -1;
            }

            int pid = *(int*)(info + Ptrace.SigInfoPidOffset);
            int code = *(int*)(info + Ptrace.SigInfoCodeOffset);
            if (code == CldTrapped && !_killing && !_detaching && !_cancelRequested && _tracees.ContainsKey(pid))
            {
                // A ptrace stop, seen whole: si_status holds the stop's code as waitpid shifts it
                // (signal | event << 8). Not taken: the resume that always follows ends the stop, so
                // a second call per stop is saved. (Kills and detaches take it, to see it once.)
                *status = (*(int*)(info + Ptrace.SigInfoStatusOffset) << 8) | 0x7f;
                return pid;
            }

            bool ours = _tracees.ContainsKey(pid) || _wakers.ContainsKey(pid)
                || code is CldTrapped or CldStopped or CldContinued;
            if (!ours)
            {
                // A child that .NET reaps: wait for it to; one nobody reaps within 10 s is taken.
                if (pid != foreign)
                {
                    foreign = pid;
                    foreignSince = DateTime.UtcNow;
                }

                if (!_cancelRequested && DateTime.UtcNow - foreignSince < TimeSpan.FromSeconds(10))
                {
                    Thread.Sleep(1);
                    continue;
                }
            }

            int got = Ptrace.WaitPid(pid, status, Ptrace.WaitAll | Ptrace.WaitNoHang);
            if (got == 0)
            {
                continue;
            }

            _wakers.TryRemove(pid, out _);
            return got;
        }
    }

    private Tracee? Find(int pid) => _tracees.TryGetValue(pid, out Tracee? t) ? t : null;

    private void OnSyscallStop(Tracee t)
    {
        Ptrace.SyscallInfo info;
        nint got = Ptrace.Request(Ptrace.GetSyscallInfo, t.Tid, sizeof(Ptrace.SyscallInfo), (nint)(&info));
        if (got <= 0)
        {
            Resume(t, 0);
            return;
        }

        if (t.Install is FilterInstall.Seccomp or FilterInstall.NoNewPrivs)
        {
            OnInstallStop(t, in info);
        }
        else if (info.Op == Ptrace.InfoEntry)
        {
            OnEntry(t, in info);
        }
        else if (info.Op == Ptrace.InfoExit)
        {
            OnExit(t, in info);
        }
        else
        {
            Resume(t, 0);
        }
    }

    private void OnEntry(Tracee t, in Ptrace.SyscallInfo info)
    {
        if (t.Reentering)
        {
            // The call stopped for the administrator, made again now the process is resumed.
            t.Reentering = false;
            t.InSyscall = true;
            Resume(t, 0);
            return;
        }

        t.InSyscall = true;
        if (!t.Started)
        {
            Resume(t, 0);
            return;
        }

        if (t.Install == FilterInstall.Pending)
        {
            t.Install = FilterInstall.None;
            if (info.Arch == Ptrace.ArchX8664 && BeginInstall(t))
            {
                return;
            }
        }

        Check(t, in info);
        if (!_killing)
        {
            Resume(t, 0);
        }
    }

    /// <summary>
    /// A seccomp stop (one stop per call): the call's entry, as <see cref="OnEntry"/> sees it, logged
    /// whole at once; its return value is not seen (<c>= ?</c>) but for a denied call's.
    /// </summary>
    private void OnSeccompStop(Tracee t)
    {
        Ptrace.SyscallInfo info;
        nint got = Ptrace.Request(Ptrace.GetSyscallInfo, t.Tid, sizeof(Ptrace.SyscallInfo), (nint)(&info));
        if (got <= 0 || info.Op != Ptrace.InfoSeccomp || !t.Started)
        {
            Resume(t, 0);
            return;
        }

        if (t.Reentering)
        {
            t.Reentering = false;
            Resume(t, 0);
            return;
        }

        Check(t, in info);
        long? result = null;
        if (t.DenyErrno != 0)
        {
            // Skipped at a seccomp stop, the call returns what rax holds.
            result = -t.DenyErrno;
            t.DenyErrno = 0;
            Ptrace.Request(Ptrace.PokeUser, t.Tid, Ptrace.OffsetRax, (nint)result.Value);
        }

        _log.EndCall(t.Tid, t.Name, result);
        if (t.Rewind)
        {
            // Back onto the call's instruction with its number in rax: made again once resumed.
            t.Rewind = false;
            t.Reentering = true;
            Ptrace.Request(Ptrace.PokeUser, t.Tid, Ptrace.OffsetRax, t.Number);
            Ptrace.Request(Ptrace.PokeUser, t.Tid, Ptrace.OffsetRip, (nint)(t.RewindIp - 2));
        }

        if (!_killing)
        {
            Resume(t, 0);
        }
    }

    /// <summary>Logs a call's entry and checks it (see <see cref="Decide"/>).</summary>
    private void Check(Tracee t, in Ptrace.SyscallInfo info)
    {
        Abi abi = info.Arch == Ptrace.ArchI386 ? _i386 : _x8664;
        int kernel = (int)info.Number;
        int mapped = abi.Map(kernel, out byte[]? name);
        name ??= UnknownName(info.Arch, info.Number);
        t.Number = kernel;
        t.Name = name;
        long line;
        if (_log.Writes && abi == _x8664 && CallArguments.Decodes(kernel))
        {
            _arguments ??= new byte[CallArguments.MaxBytes];
            int length = CallArguments.Format(_arguments, t.Tid, kernel, in info);
            line = _log.BeginCall(t.Tid, name, _arguments.AsSpan(0, length));
        }
        else
        {
            line = _log.BeginCall(t.Tid, name);
        }

        Syscalls++;
        Decide(t, mapped, line, info.InstructionPointer, atEntry: true, abi.Deniable(kernel));
    }

    /// <summary>
    /// At the command's first call after its exec: writes the filter program (a <c>struct sock_fprog</c>
    /// and its one instruction) below the thread's stack, and turns the call into
    /// <c>seccomp(SECCOMP_SET_MODE_FILTER, 0, prog)</c>; the call itself is made after (see <see cref="OnInstallStop"/>).
    /// </summary>
    /// <returns>False when the registers or memory cannot be written: the thread goes on with two stops per call.</returns>
    private bool BeginInstall(Tracee t)
    {
        ulong[] saved = new ulong[Ptrace.RegsWords];
        fixed (ulong* regs = saved)
        {
            if (Ptrace.Request(Ptrace.GetRegs, t.Tid, 0, (nint)regs) != 0)
            {
                return false;
            }
        }

        // Well below the red zone (128 bytes) of the frame making the call; the stack is mapped far lower.
        ulong program = (saved[Ptrace.RegRsp] - 1024) & ~15UL;
        if (Ptrace.Request(Ptrace.PokeData, t.Tid, (nint)program, 1) != 0
            || Ptrace.Request(Ptrace.PokeData, t.Tid, (nint)(program + 8), (nint)(program + 16)) != 0
            || Ptrace.Request(Ptrace.PokeData, t.Tid, (nint)(program + 16), unchecked((nint)TraceEveryCall)) != 0)
        {
            return false;
        }

        t.SavedRegisters = saved;
        t.FilterProgram = program;
        if (!Borrow(t, SyscallNumberSeccomp, SeccompSetModeFilter, 0, program, again: false))
        {
            t.SavedRegisters = null;
            return false;
        }

        t.Install = FilterInstall.Seccomp;
        Ptrace.Request(Ptrace.Syscall, t.Tid, 0, 0);
        return true;
    }

    /// <summary>
    /// A stop of a borrowed call. At its exit: after seccomp, the thread's own call is set to be made
    /// again (now as a seccomp stop); after seccomp refused (EACCES: no CAP_SYS_ADMIN), prctl(PR_SET_NO_NEW_PRIVS)
    /// is made first, then seccomp again; after any other failure, the thread goes on with two stops per call.
    /// </summary>
    private void OnInstallStop(Tracee t, in Ptrace.SyscallInfo info)
    {
        if (info.Op != Ptrace.InfoExit)
        {
            // The borrowed call made again from its instruction: its exit comes next.
            Ptrace.Request(Ptrace.Syscall, t.Tid, 0, 0);
            return;
        }

        long result = info.ReturnValue;
        if (t.Install == FilterInstall.Seccomp && result == 0)
        {
            t.Install = FilterInstall.None;
            _filtered = true;
            Restore(t);
            Resume(t, 0);
            return;
        }

        if (t.Install == FilterInstall.Seccomp && result == -Ptrace.Eacces && !t.NoNewPrivs
            && Borrow(t, SyscallNumberPrctl, PrSetNoNewPrivs, 1, 0, again: true))
        {
            t.Install = FilterInstall.NoNewPrivs;
            Ptrace.Request(Ptrace.Syscall, t.Tid, 0, 0);
            return;
        }

        if (t.Install == FilterInstall.NoNewPrivs && result == 0
            && Borrow(t, SyscallNumberSeccomp, SeccompSetModeFilter, 0, t.FilterProgram, again: true))
        {
            t.NoNewPrivs = true;
            t.Install = FilterInstall.Seccomp;
            Ptrace.Request(Ptrace.Syscall, t.Tid, 0, 0);
            return;
        }

        t.Install = FilterInstall.None;
        Restore(t);
        Resume(t, 0);
    }

    /// <summary>
    /// Sets the thread's registers to make call <paramref name="number"/>: in place of the call at
    /// this entry stop, or (<paramref name="again"/>, at an exit stop) from its instruction once more.
    /// </summary>
    private static bool Borrow(Tracee t, long number, ulong arg0, ulong arg1, ulong arg2, bool again)
    {
        ulong* regs = stackalloc ulong[Ptrace.RegsWords];
        t.SavedRegisters.AsSpan().CopyTo(new Span<ulong>(regs, Ptrace.RegsWords));
        regs[Ptrace.RegOrigRax] = (ulong)number;
        regs[Ptrace.RegRdi] = arg0;
        regs[Ptrace.RegRsi] = arg1;
        regs[Ptrace.RegRdx] = arg2;
        regs[Ptrace.RegR10] = 0;
        regs[Ptrace.RegR8] = 0;
        if (again)
        {
            regs[Ptrace.RegRip] -= 2;
            regs[Ptrace.RegRax] = (ulong)number;
        }

        return Ptrace.Request(Ptrace.SetRegs, t.Tid, 0, (nint)regs) == 0;
    }

    /// <summary>Puts the thread's registers back as they were at its own call's entry, back on the call's instruction: it makes the call again.</summary>
    private static void Restore(Tracee t)
    {
        ulong* regs = stackalloc ulong[Ptrace.RegsWords];
        t.SavedRegisters.AsSpan().CopyTo(new Span<ulong>(regs, Ptrace.RegsWords));
        regs[Ptrace.RegRip] -= 2;
        regs[Ptrace.RegRax] = regs[Ptrace.RegOrigRax];
        Ptrace.Request(Ptrace.SetRegs, t.Tid, 0, (nint)regs);
        t.SavedRegisters = null;
    }

    /// <summary>Checks the call against the fingerprint and, when it makes the run anomalous, acts before it runs.</summary>
    /// <remarks>
    /// The command's own execve is seen once it is done (<paramref name="atEntry"/> false): only kill can act on it.
    /// A call that is not <paramref name="deniable"/> runs under deny (its alert is raised): kill and
    /// stop act on it as on any other (a stopped call is made when the process is continued).
    /// </remarks>
    private void Decide(Tracee t, int mapped, long line, ulong ip, bool atEntry, bool deniable = true)
    {
        if (_check is null)
        {
            return;
        }

        if (mapped < 0)
        {
            Unmapped++;
            return;
        }

        _check.OnSyscall(t.Tid, mapped, line);
        if (!_check.LastCallAnomalous || _options.OnAnomaly == AnomalyAction.Alert
            || (!atEntry && _options.OnAnomaly != AnomalyAction.Kill))
        {
            return;
        }

        switch (_options.OnAnomaly)
        {
            case AnomalyAction.Deny when !deniable:
                Undeniable++;
                break;
            case AnomalyAction.Deny:
                Skip(t);
                t.DenyErrno = _options.DenyErrno;
                Denied++;
                break;
            case AnomalyAction.Kill when !_killing:
                if (atEntry)
                {
                    Skip(t);
                }

                KillAll();
                break;
            case AnomalyAction.Stop when !_stopped:
                _stopped = true;
                Skip(t);
                t.Rewind = true;
                t.RewindIp = ip;
                StopAll();
                break;
        }
    }

    private void OnExit(Tracee t, in Ptrace.SyscallInfo info)
    {
        if (!t.InSyscall || !t.Started)
        {
            t.InSyscall = false;
            Resume(t, 0);
            return;
        }

        if (t.Rewind)
        {
            // Back onto the call's instruction (syscall and int 0x80 are 2 bytes), the number where the
            // kernel reads it: the call is made again when the administrator resumes the process.
            t.Rewind = false;
            t.Reentering = true;
            Ptrace.Request(Ptrace.PokeUser, t.Tid, Ptrace.OffsetRax, t.Number);
            Ptrace.Request(Ptrace.PokeUser, t.Tid, Ptrace.OffsetRip, (nint)(t.RewindIp - 2));
            Resume(t, 0);
            return;
        }

        t.InSyscall = false;
        long result = info.ReturnValue;
        if (t.DenyErrno != 0)
        {
            result = -t.DenyErrno;
            t.DenyErrno = 0;
            Ptrace.Request(Ptrace.PokeUser, t.Tid, Ptrace.OffsetRax, (nint)result);
        }

        _log.EndCall(t.Tid, t.Name, result);
        Resume(t, 0);
    }

    private void OnEvent(Tracee t, int ev, int signal)
    {
        switch (ev)
        {
            case Ptrace.EventFork or Ptrace.EventVfork or Ptrace.EventClone:
                nint child;
                Ptrace.Request(Ptrace.GetEventMessage, t.Tid, 0, (nint)(&child));
                if (!_tracees.ContainsKey((int)child))
                {
                    Add((int)child);
                    if (_killing)
                    {
                        Ptrace.Kill((int)child, Ptrace.SigKill);
                    }
                }

                Resume(t, 0);
                break;
            case Ptrace.EventExec:
                OnExec(t);
                Resume(t, 0);
                break;
            case Ptrace.EventSeccomp:
                OnSeccompStop(t);
                break;
            case Ptrace.EventStop:
                if (signal is Ptrace.SigStop or Ptrace.SigTstp or Ptrace.SigTtin or Ptrace.SigTtou)
                {
                    // Group-stop: stay stopped, as untraced, until SIGCONT (reported as another stop).
                    if (_detaching)
                    {
                        Detach(t, 0);
                    }
                    else
                    {
                        Ptrace.Request(Ptrace.Listen, t.Tid, 0, 0);
                    }
                }
                else
                {
                    Resume(t, 0);
                }

                break;
            default:
                Resume(t, 0);
                break;
        }
    }

    private void OnExec(Tracee t)
    {
        nint former;
        Ptrace.Request(Ptrace.GetEventMessage, t.Tid, 0, (nint)(&former));
        if ((int)former != t.Tid && _tracees.Remove((int)former, out Tracee? execing))
        {
            // A thread other than the leader ran execve: it takes over the leader's id; the leader's
            // own sequence ended, the exec'ing thread's goes on under the new id.
            _check?.OnThreadEnd(t.Tid);
            _check?.OnThreadRenamed((int)former, t.Tid);
            execing.Tid = t.Tid;
            _tracees[t.Tid] = execing;
            _last = execing;
            t = execing;
        }

        if (!t.Started)
        {
            // The command's own exec (the spawner's calls before it were not the program's).
            t.Started = true;
            t.InSyscall = true;
            t.Number = SyscallNumberExecve;
            int mapped = _x8664.Map(SyscallNumberExecve, out byte[]? name);
            t.Name = name!;
            long line = _log.BeginCall(t.Tid, t.Name, _log.Writes ? RootExecveArguments() : default);
            Syscalls++;
            FirstProgram ??= Path.GetFileName(_rootPath);
            RootBinary = TracedBinary.OfProcess(t.Tid) ?? TracedBinary.OfFile(_rootPath);
            Decide(t, mapped, line, 0, atEntry: false);
        }
        else if (FirstProgram is null)
        {
            FirstProgram = ProcessTree.ProgramOf(t.Tid);
        }
    }

    private void Gone(Tracee t, int status)
    {
        bool exited = Ptrace.WaitExited(status);
        _tracees.Remove(t.Tid);
        if (_last == t)
        {
            _last = null;
        }

        if (!t.Started)
        {
            return;
        }

        _log.ThreadGone(t.Tid, exited ? Ptrace.ExitStatus(status) : null, Ptrace.TermSignal(status), Ptrace.CoreDumped(status));
        _check?.OnThreadEnd(t.Tid);
        if (t.Tid == _rootPid)
        {
            ExitCode = exited ? Ptrace.ExitStatus(status) : 128 + Ptrace.TermSignal(status);
        }
    }

    private void Resume(Tracee t, int signal)
    {
        if (_detaching)
        {
            Detach(t, signal);
            return;
        }

        // With the filter, seccomp stops come at every call's entry without asking: PTRACE_CONT.
        Ptrace.Request(_filtered && t.Install == FilterInstall.None ? Ptrace.Cont : Ptrace.Syscall, t.Tid, 0, signal);
    }

    private void Detach(Tracee t, int signal)
    {
        Ptrace.Request(Ptrace.Detach, t.Tid, 0, signal);
        _tracees.Remove(t.Tid);
        if (_last == t)
        {
            _last = null;
        }

        if (t.Started)
        {
            _check?.OnThreadEnd(t.Tid);
        }
    }

    /// <summary>Skips the call at its entry: the kernel runs nothing for number -1 (and returns -ENOSYS, or what the exit stop sets).</summary>
    private static void Skip(Tracee t) => Ptrace.Request(Ptrace.PokeUser, t.Tid, Ptrace.OffsetOrigRax, -1);

    private void KillAll()
    {
        _killing = true;
        foreach (int tgid in ProcessesOf(_tracees.Keys))
        {
            if (Ptrace.Kill(tgid, Ptrace.SigKill) == 0)
            {
                _signalled.Add(tgid);
            }
        }
    }

    private void StopAll()
    {
        foreach (int tgid in ProcessesOf(_tracees.Keys))
        {
            if (Ptrace.Kill(tgid, Ptrace.SigStop) == 0)
            {
                _signalled.Add(tgid);
            }
        }
    }

    private void HandleCancel()
    {
        _cancelHandled = true;
        if (_options.FailOpen)
        {
            // Every tracee is interrupted, and detached at the stop that follows.
            _detaching = true;
            foreach (int tid in _tracees.Keys)
            {
                Ptrace.Request(Ptrace.Interrupt, tid, 0, 0);
            }
        }
        else
        {
            _killing = true;
            foreach (int tid in _tracees.Keys)
            {
                Ptrace.Kill(tid, Ptrace.SigKill);
            }
        }
    }

    /// <summary>The thread-group ids of <paramref name="threads"/>, in order, once each.</summary>
    private static List<int> ProcessesOf(IEnumerable<int> threads)
    {
        var processes = new List<int>();
        foreach (int tid in threads)
        {
            int tgid = ProcessTree.ThreadGroupOf(tid) ?? tid;
            if (!processes.Contains(tgid))
            {
                processes.Add(tgid);
            }
        }

        processes.Sort();
        return processes;
    }

    private byte[] UnknownName(uint arch, ulong number)
    {
        long key = ((long)arch << 32) | (long)(number & 0xffffffff);
        if (!_unknownNames.TryGetValue(key, out byte[]? name))
        {
            name = Encoding.ASCII.GetBytes("syscall_0x" + number.ToString("x", CultureInfo.InvariantCulture));
            _unknownNames[key] = name;
        }

        return name;
    }

    private byte[] RootExecveArguments()
    {
        var text = new StringBuilder();
        text.Append(Quote(_rootPath!)).Append(", [");
        for (int i = 0; i < _options.Command.Count; i++)
        {
            text.Append(i > 0 ? ", " : "").Append(Quote(_options.Command[i]));
        }

        text.Append("], 0x0 /* ").Append(Environment().Count.ToString(CultureInfo.InvariantCulture)).Append(" vars */");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>A C string as strace quotes it: <c>"..."</c>, with <c>\"</c>, <c>\\</c>, <c>\n</c> and octal escapes.</summary>
    private static string Quote(string value)
    {
        var text = new StringBuilder(value.Length + 2).Append('"');
        foreach (byte b in Encoding.UTF8.GetBytes(value))
        {
            switch (b)
            {
                case (byte)'"':
                    text.Append("\\\"");
                    break;
                case (byte)'\\':
                    text.Append("\\\\");
                    break;
                case (byte)'\n':
                    text.Append("\\n");
                    break;
                case (byte)'\t':
                    text.Append("\\t");
                    break;
                case < 0x20 or >= 0x7f:
                    text.Append('\\').Append(Convert.ToString(b, 8));
                    break;
                default:
                    text.Append((char)b);
                    break;
            }
        }

        return text.Append('"').ToString();
    }

    /// <summary>One ABI's kernel numbers, mapped to the store's numbers and to names for the log.</summary>
    private sealed class Abi
    {
        /// <summary>
        /// Calls a program cannot go on from when they fail, so deny lets them run: a failed exit
        /// returns into code that has nothing after it (glibc's <c>_exit</c> then runs <c>hlt</c>:
        /// SIGSEGV), a failed signal return into the signal trampoline (the same), and
        /// restart_syscall only goes on with a call that was already let run (denied, that call
        /// would fail with an errno it never returns). Denying them breaks the program's control
        /// flow instead of giving it an error; they start nothing new.
        /// </summary>
        private static readonly string[] s_undeniable = ["exit", "exit_group", "rt_sigreturn", "sigreturn", "restart_syscall"];

        private readonly int[] _numbers;
        private readonly byte[]?[] _names;
        private readonly bool[] _undeniable;

        public Abi(SyscallTable kernel, SyscallTable store)
        {
            int max = 0;
            foreach (var (number, _) in kernel.Entries)
            {
                max = Math.Max(max, number);
            }

            _numbers = new int[max + 1];
            _names = new byte[]?[max + 1];
            _undeniable = new bool[max + 1];
            Array.Fill(_numbers, -1);
            foreach (var (number, name) in kernel.Entries)
            {
                _names[number] = Encoding.ASCII.GetBytes(name);
                _numbers[number] = store.TryGetNumber(name, out int mapped) ? mapped : -1;
                _undeniable[number] = Array.IndexOf(s_undeniable, name) >= 0;
            }
        }

        /// <summary>False for the calls a program cannot survive failing (exit, exit_group, the signal returns, restart_syscall).</summary>
        public bool Deniable(int number) => (uint)number >= (uint)_undeniable.Length || !_undeniable[number];

        /// <summary>The store's number of kernel call <paramref name="number"/> (-1: unknown), and its name (null: unknown).</summary>
        public int Map(int number, out byte[]? name)
        {
            if ((uint)number < (uint)_names.Length && _names[number] is { } known)
            {
                name = known;
                return _numbers[number];
            }

            name = null;

            // As the reader takes "syscall_0x1c3": the number itself.
            return number;
        }
    }
}

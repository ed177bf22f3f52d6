using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Sysprint.Diagnostics;

namespace Sysprint.Agent.Tracing.Native;

/// <summary>
/// Starts a command already traced, before it runs a single instruction of its own, without a
/// shell in between and without <c>fork()</c> in managed code.
/// </summary>
/// <remarks>
/// posix_spawn(3) (glibc: <c>clone(CLONE_VM|CLONE_VFORK)</c>) is given a file action that opens a
/// private named pipe for reading, which blocks the child before its <c>execve</c>. The tracer's
/// thread finds the child (a new process whose parent is this one), seizes it with ptrace, then
/// opens the pipe's other end to let it go on; the first stop it reports is its exec. So
/// <c>argv[0]</c>, the environment and the open descriptors are exactly what strace's child would
/// get. The call to posix_spawn blocks until the exec, so it runs on a short-lived thread of its own.
/// </remarks>
internal sealed unsafe class Spawner : IDisposable
{
    private static readonly TimeSpan s_findTimeout = TimeSpan.FromSeconds(60);

    private readonly string _directory;
    private readonly Thread _thread;
    private readonly nint _native;
    private readonly List<nint> _strings = [];
    private int _placeholder = -1;
    private int _gate = -1;
    private int _error;

    private Spawner(string directory, string path, IReadOnlyList<string> argv, IReadOnlyList<string> environment, bool inheritStdio)
    {
        _directory = directory;
        string fifo = Path.Combine(directory, "gate");
        Posix.MakeFifo(fifo);
        _placeholder = Ptrace.Open("/dev/null", Ptrace.ORdOnly | Ptrace.OCloExec);
        if (_placeholder < 0)
        {
            throw new IOException($"/dev/null: cannot open (errno {Marshal.GetLastPInvokeError()})");
        }

        // One block: file actions, attributes, two signal sets, then argv and envp.
        int pointers = argv.Count + 1 + environment.Count + 1;
        _native = (nint)NativeMemory.AllocZeroed((nuint)((2 * Ptrace.SpawnStructBytes) + (2 * Ptrace.SigSetBytes) + (pointers * sizeof(nint))));
        byte* block = (byte*)_native;
        void* actions = block;
        void* attributes = block + Ptrace.SpawnStructBytes;
        void* mask = block + (2 * Ptrace.SpawnStructBytes);
        void* defaults = block + (2 * Ptrace.SpawnStructBytes) + Ptrace.SigSetBytes;
        byte** args = (byte**)(block + (2 * Ptrace.SpawnStructBytes) + (2 * Ptrace.SigSetBytes));
        byte** env = args + argv.Count + 1;
        Ok(Ptrace.FileActionsInit(actions), "posix_spawn setup");
        Ok(Ptrace.FileActionsAddOpen(actions, _placeholder, fifo, Ptrace.ORdOnly, 0), "posix_spawn setup");
        Ok(Ptrace.FileActionsAddClose(actions, _placeholder), "posix_spawn setup");
        if (!inheritStdio)
        {
            for (int fd = 0; fd <= 2; fd++)
            {
                Ok(Ptrace.FileActionsAddOpen(actions, fd, "/dev/null", fd == 0 ? Ptrace.ORdOnly : Ptrace.OWrOnly, 0), "posix_spawn setup");
            }
        }

        Ok(Ptrace.AttrInit(attributes), "posix_spawn setup");

        // .NET ignores SIGPIPE and its threads may block signals: the command starts as strace's
        // would, with SIGPIPE at its default and nothing blocked.
        Ok(Ptrace.SigEmptySet(mask), "sigemptyset");
        Ok(Ptrace.SigEmptySet(defaults), "sigemptyset");
        Ok(Ptrace.SigAddSet(defaults, Ptrace.SigPipe), "sigaddset");
        Ok(Ptrace.AttrSetSigMask(attributes, mask), "posix_spawn setup");
        Ok(Ptrace.AttrSetSigDefault(attributes, defaults), "posix_spawn setup");
        Ok(Ptrace.AttrSetFlags(attributes, Ptrace.SpawnSetSigDefault | Ptrace.SpawnSetSigMask), "posix_spawn setup");
        for (int i = 0; i < argv.Count; i++)
        {
            args[i] = Utf8(argv[i]);
        }

        for (int i = 0; i < environment.Count; i++)
        {
            env[i] = Utf8(environment[i]);
        }

        byte* file = Utf8(path);
        _thread = new Thread(() =>
        {
            int pid;
            _error = Ptrace.PosixSpawn(&pid, file, actions, attributes, args, env);
        })
        {
            IsBackground = true,
            Name = "sysprint spawn",
        };
    }

    /// <summary>The errno posix_spawn returned (the exec failed), once it returned; 0 when it succeeded.</summary>
    public int Error
    {
        get
        {
            _thread.Join();
            return _error;
        }
    }

    /// <summary>
    /// Starts <paramref name="path"/> with <paramref name="argv"/> and <paramref name="environment"/>
    /// (<c>NAME=VALUE</c> entries), its standard streams inherited or <c>/dev/null</c>, and seizes it with <paramref name="options"/>. Call on the tracer's thread.
    /// </summary>
    /// <exception cref="SysprintException">ptrace is not allowed (77).</exception>
    public static (Spawner Spawner, int Pid) Start(string directory, string path, IReadOnlyList<string> argv,
        IReadOnlyList<string> environment, int options, bool inheritStdio)
    {
        var spawner = new Spawner(directory, path, argv, environment, inheritStdio);
        try
        {
            int self = Ptrace.GetPid();
            HashSet<int> before = Children(self);
            spawner._thread.Start();
            int pid = spawner.FindChild(self, before);
            if (Ptrace.Request(Ptrace.Seize, pid, 0, options) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                Ptrace.Kill(pid, Ptrace.SigKill);
                spawner.Release();
                _ = spawner.Error;
                throw TracePermission.Refused(errno, attach: false);
            }

            spawner.Release();
            return (spawner, pid);
        }
        catch
        {
            spawner.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_thread.ThreadState != ThreadState.Unstarted)
        {
            _thread.Join();
        }

        if (_gate >= 0)
        {
            Ptrace.Close(_gate);
            _gate = -1;
        }

        if (_placeholder >= 0)
        {
            Ptrace.Close(_placeholder);
            _placeholder = -1;
        }

        foreach (nint s in _strings)
        {
            NativeMemory.Free((void*)s);
        }

        _strings.Clear();
        NativeMemory.Free((void*)_native);
        File.Delete(Path.Combine(_directory, "gate"));
    }

    /// <summary>Opens the pipe's other end (read-write never blocks on Linux): the child's open returns.</summary>
    private void Release()
    {
        _gate = Ptrace.Open(Path.Combine(_directory, "gate"), Ptrace.ORdWr | Ptrace.OCloExec);
        if (_gate < 0)
        {
            throw new IOException($"cannot open the start gate (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    private int FindChild(int self, HashSet<int> before)
    {
        DateTime deadline = DateTime.UtcNow + s_findTimeout;
        while (true)
        {
            foreach (int pid in Children(self))
            {
                // Another thread may start a process at the same moment (.NET's Process): ours is the
                // one waiting to open our pipe.
                if (!before.Contains(pid) && WaitsAtGate(pid))
                {
                    return pid;
                }
            }

            if (!_thread.IsAlive)
            {
                throw new SysprintException(ErrorKind.Internal, $"posix_spawn returned ({_error}) before its child could be found");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new SysprintException(ErrorKind.Internal, "the started command did not appear in /proc within 60 s");
            }

            Thread.Sleep(1);
        }
    }

    /// <summary>True when <paramref name="pid"/> is blocked in <c>openat</c> (or <c>open</c>) of this spawner's pipe, per <c>/proc/PID/syscall</c>.</summary>
    private bool WaitsAtGate(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/syscall");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        // "257 0xffffffffffffff9c 0x55d5c6a0e2c0 0x0 ...": the number, then the arguments.
        string[] fields = text.Split(' ');
        int pathArgument = fields[0] switch { "257" => 2, "2" => 1, _ => 0 };
        if (pathArgument == 0 || fields.Length <= pathArgument || !fields[pathArgument].StartsWith("0x", StringComparison.Ordinal)
            || !ulong.TryParse(fields[pathArgument].AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong address))
        {
            return false;
        }

        string gate = Path.Combine(_directory, "gate");
        int length = Encoding.UTF8.GetByteCount(gate) + 1;
        byte* buffer = stackalloc byte[length];
        Ptrace.IoVec local = new() { Base = buffer, Length = (nuint)length };
        Ptrace.IoVec remote = new() { Base = (void*)address, Length = (nuint)length };
        return Ptrace.ProcessVmReadv(pid, &local, 1, &remote, 1, 0) == length
            && buffer[length - 1] == 0
            && new ReadOnlySpan<byte>(buffer, length - 1).SequenceEqual(Encoding.UTF8.GetBytes(gate));
    }

    /// <summary>This process's children, from <c>/proc/PID/stat</c> (no <c>/proc/PID/task/TID/children</c> without CONFIG_PROC_CHILDREN).</summary>
    private static HashSet<int> Children(int self)
    {
        var children = new HashSet<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir.AsSpan()), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                && ProcessTree.ParentOf(pid) == self)
            {
                children.Add(pid);
            }
        }

        return children;
    }

    private static void Ok(int result, string what)
    {
        if (result != 0)
        {
            throw new IOException($"{what} failed (error {result})");
        }
    }

    private byte* Utf8(string text)
    {
        int length = Encoding.UTF8.GetByteCount(text);
        byte* bytes = (byte*)NativeMemory.Alloc((nuint)length + 1);
        Encoding.UTF8.GetBytes(text, new Span<byte>(bytes, length));
        bytes[length] = 0;
        _strings.Add((nint)bytes);
        return bytes;
    }
}

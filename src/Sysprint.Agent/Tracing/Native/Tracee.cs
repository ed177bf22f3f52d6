namespace Sysprint.Agent.Tracing.Native;

/// <summary>One traced thread, as the tracer's loop knows it.</summary>
internal sealed class Tracee(int tid)
{
    public int Tid { get; set; } = tid;

    /// <summary>False for a started command until its exec: the calls before are the spawner's, not the program's.</summary>
    public bool Started { get; set; }

    /// <summary>Between a call's entry stop and its exit stop.</summary>
    public bool InSyscall { get; set; }

    /// <summary>The call in progress (the kernel's number) and its name in the log.</summary>
    public int Number { get; set; }

    public byte[] Name { get; set; } = [];

    /// <summary>The errno the call in progress returns instead of running (<c>--on-anomaly deny</c>); 0 when it runs.</summary>
    public int DenyErrno { get; set; }

    /// <summary>
    /// The call in progress was skipped to stop the process before it runs (<c>--on-anomaly stop</c>): at
    /// its exit stop the thread is set back onto the call, to make it again once resumed.
    /// </summary>
    public bool Rewind { get; set; }

    public ulong RewindIp { get; set; }

    /// <summary>The next entry stop is the rewound call made again: already logged and checked.</summary>
    public bool Reentering { get; set; }

    /// <summary>Where installing the one-stop-per-call seccomp filter in this thread stands (the command's first thread only).</summary>
    public FilterInstall Install { get; set; }

    /// <summary>The registers at the call the filter's installation borrowed, put back once it is done.</summary>
    public ulong[]? SavedRegisters { get; set; }

    /// <summary>Where the filter program was written in the thread's memory.</summary>
    public ulong FilterProgram { get; set; }

    /// <summary>PR_SET_NO_NEW_PRIVS was already made for the installation.</summary>
    public bool NoNewPrivs { get; set; }
}

namespace Sysprint.Parsing;

/// <summary>Receives the system calls of a log, in log order, each tagged with its thread.</summary>
public interface ISyscallSink
{
    /// <summary>One call entry. <paramref name="thread"/> is the pid/tid (0 when the log has none); <paramref name="line"/> is 1-based.</summary>
    void OnSyscall(long thread, int number, long line);

    /// <summary>The thread exited: a later call with the same id starts a new sequence.</summary>
    void OnThreadEnd(long thread);

    /// <summary>Calls filed under <paramref name="oldThread"/> turned out to be <paramref name="newThread"/>'s (strace -f to stderr names the first process late).</summary>
    void OnThreadRenamed(long oldThread, long newThread);
}

namespace Sysprint.Parsing;

/// <summary>Hands every event of one read to two sinks, in order: one pass over a log feeds both.</summary>
public sealed class TeeSink(ISyscallSink first, ISyscallSink second) : ISyscallSink
{
    public void OnSyscall(long thread, int number, long line)
    {
        first.OnSyscall(thread, number, line);
        second.OnSyscall(thread, number, line);
    }

    public void OnThreadEnd(long thread)
    {
        first.OnThreadEnd(thread);
        second.OnThreadEnd(thread);
    }

    public void OnThreadRenamed(long oldThread, long newThread)
    {
        first.OnThreadRenamed(oldThread, newThread);
        second.OnThreadRenamed(oldThread, newThread);
    }
}

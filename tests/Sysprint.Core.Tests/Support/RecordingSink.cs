using Sysprint.Mapping;
using Sysprint.Parsing;

namespace Sysprint.Core.Tests.Support;

/// <summary>Records what a log reader hands its sink: every event in order, and each thread's call sequence.</summary>
internal sealed class RecordingSink : ISyscallSink
{
    private readonly Dictionary<long, ThreadSequence> _open = [];

    /// <summary>Every event as text, in order: <c>call 1234 257 @7</c>, <c>end 1234</c>, <c>rename 0 1234</c>.</summary>
    public List<string> Events { get; } = [];

    /// <summary>Every thread's sequence, ended or not, in order of the thread's first call.</summary>
    public List<ThreadSequence> Sequences { get; } = [];

    public List<long> Ended { get; } = [];

    public List<(long Old, long New)> Renamed { get; } = [];

    public int Calls { get; private set; }

    public void OnSyscall(long thread, int number, long line)
    {
        Calls++;
        Events.Add($"call {thread} {number} @{line}");
        if (!_open.TryGetValue(thread, out ThreadSequence? sequence))
        {
            sequence = new ThreadSequence(thread);
            _open[thread] = sequence;
            Sequences.Add(sequence);
        }

        sequence.Numbers.Add(number);
        sequence.Lines.Add(line);
    }

    public void OnThreadEnd(long thread)
    {
        Events.Add($"end {thread}");
        Ended.Add(thread);
        if (_open.Remove(thread, out ThreadSequence? sequence))
        {
            sequence.Ended = true;
        }
    }

    public void OnThreadRenamed(long oldThread, long newThread)
    {
        Events.Add($"rename {oldThread} {newThread}");
        Renamed.Add((oldThread, newThread));
        if (_open.Remove(oldThread, out ThreadSequence? sequence))
        {
            sequence.Thread = newThread;
            _open[newThread] = sequence;
        }
    }

    /// <summary>Thread id → number of calls, for logs where each pid runs once.</summary>
    public Dictionary<long, int> CountsByThread() =>
        Sequences.GroupBy(s => s.Thread).ToDictionary(g => g.Key, g => g.Sum(s => s.Numbers.Count));

    /// <summary>Each sequence's calls as names, in order of first appearance.</summary>
    public List<string> NamedSequences(SyscallTable table) =>
        Sequences.Select(s => string.Join(' ', s.Numbers.Select(table.NameOf))).ToList();
}

/// <summary>One thread's calls, in order.</summary>
internal sealed class ThreadSequence(long thread)
{
    public long Thread { get; set; } = thread;

    public List<int> Numbers { get; } = [];

    public List<long> Lines { get; } = [];

    public bool Ended { get; set; }
}

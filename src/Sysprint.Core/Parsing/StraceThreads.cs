using Sysprint.Diagnostics;

namespace Sysprint.Parsing;

/// <summary>
/// Gives unprefixed strace lines their thread. With <c>-f</c> to stderr, strace prints the pid
/// prefix only while two or more processes are alive: the first process's early lines have none,
/// and its pid shows up only once a child exists (children are announced by
/// <c>strace: Process N attached</c>, the first process is not). Lines without a prefix belong to
/// the only live process.
/// </summary>
internal sealed class StraceThreads(ISyscallSink sink, int maxThreads)
{
    private readonly HashSet<long> _announced = [];
    private readonly HashSet<long> _live = [];
    private bool _unprefixedBeforeAnyPid;
    private bool _anyPid;
    private long _first = -1;

    /// <summary>True while the first process's pid is still unknown: only then do announcements matter.</summary>
    public bool WantsAnnouncements => _unprefixedBeforeAnyPid && _first < 0;

    /// <summary>A child announced by strace (its first prefixed line is not the first process).</summary>
    public void Announced(long pid)
    {
        // Only the first process's inference needs them; past the thread limit a log is hostile.
        if (_first < 0 && _announced.Count < maxThreads)
        {
            _announced.Add(pid);
        }
    }

    /// <summary>The thread key for a line with pid <paramref name="pid"/> (-1 when unprefixed).</summary>
    public long Resolve(long pid)
    {
        if (pid >= 0)
        {
            _anyPid = true;
            if (!_unprefixedBeforeAnyPid)
            {
                // -o FILE: every line has its pid; nothing to infer.
                return pid;
            }

            if (_live.Count >= maxThreads && !_live.Contains(pid))
            {
                throw new InputLimitException(
                    $"more than {maxThreads} threads alive at once", RemedyKind.RaiseThreadLimit);
            }

            if (_live.Add(pid) && _first < 0 && _unprefixedBeforeAnyPid && !_announced.Contains(pid))
            {
                _first = pid;
                sink.OnThreadRenamed(0, pid);
            }

            return pid;
        }

        if (!_anyPid)
        {
            _unprefixedBeforeAnyPid = true;
            return 0;
        }

        if (_live.Count == 1)
        {
            foreach (long only in _live)
            {
                return only;
            }
        }

        return _first >= 0 ? _first : 0;
    }

    /// <summary>The process ended.</summary>
    public void Exited(long key) => _live.Remove(key);
}

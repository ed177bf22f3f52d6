using Sysprint.Detection;
using Sysprint.Model;
using Sysprint.Parsing;

namespace Sysprint.Agent.Live;

/// <summary>
/// Checks a log while it is read: feeds each call to the profile's detector (the scorer check and
/// eval use) and, the moment the log's score passes the profile's threshold, reports each distinct
/// mismatch (those found so far, then each new one at once) through <see cref="OnAlert"/>. With the
/// paper's threshold 0 that is the offending call's own line. A detector that reads the window
/// counts (zstide, freq, callset) knows its score only once the log has ended, and decides in
/// <see cref="Complete"/>.
/// </summary>
/// <remarks>Not thread-safe: one per log, called from the thread reading it.</remarks>
public sealed class LiveCheck : ISyscallSink
{
    private readonly LiveProfile _profile;
    private readonly ScoringSink _sink;
    private readonly List<Mismatch> _waiting = [];
    private readonly HashSet<long> _alive = [];
    private DetectorScore? _whole;
    private long _seenExplained;
    private long _lastThread = long.MinValue;
    private volatile int _threadsAlive;

    public LiveCheck(LiveProfile profile, Action<Mismatch> onAlert, bool ignoreThreadStarts = false, int maxAlerts = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(onAlert);
        _profile = profile;
        OnAlert = onAlert;
        IgnoreThreadStarts = ignoreThreadStarts;
        MaxAlerts = maxAlerts;
        _sink = profile.NewSink(ignoreThreadStarts);
        if (!profile.DecidesAtEnd)
        {
            _sink.Scorer.OnExplained = _waiting.Add;
        }
    }

    /// <summary>Called for each distinct mismatch once the log is anomalous, from the reading thread.</summary>
    public Action<Mismatch> OnAlert { get; }

    /// <summary>
    /// Ignore windows shorter than the profile's (a thread's first calls): when attaching to a
    /// running process the first call seen of each thread is not its real start.
    /// </summary>
    public bool IgnoreThreadStarts { get; }

    /// <summary>Alerts raised for one log at most; further mismatches are counted only.</summary>
    public int MaxAlerts { get; }

    public long Syscalls => _sink.Syscalls;

    /// <summary>
    /// Threads that made a call and have not ended (<c>+++ exited</c>, <c>+++ killed by</c>, NtTrace's
    /// thread exit) as far as the log was read: 0 once every process of a strace log ended. Safe to
    /// read from another thread.
    /// </summary>
    public int ThreadsAlive => _threadsAlive;

    /// <summary>The line of the last call read.</summary>
    public long LastLine { get; private set; }

    /// <summary>Mismatching windows (or calls) counted with repetition.</summary>
    public long MismatchCount => _whole?.Count ?? _sink.Scorer.Explained;

    /// <summary>Distinct mismatches, in order of first occurrence.</summary>
    public IReadOnlyList<Mismatch> Mismatches => _whole?.Details ?? _sink.Scorer.Details;

    /// <summary>The detector's score so far (a whole-log detector's: 0 until <see cref="Complete"/>).</summary>
    public double Score => _whole?.Score ?? (_profile.DecidesAtEnd ? 0 : _sink.Scorer.Score);

    public bool Anomalous { get; private set; }

    /// <summary>
    /// True when the last call's window mismatched while the log is anomalous (its score past the
    /// threshold): the call an enforcing tracer denies, or stops or kills the process before.
    /// Always false for the whole-log detectors, and for a thread's first calls when
    /// <see cref="IgnoreThreadStarts"/>.
    /// </summary>
    public bool LastCallAnomalous { get; private set; }

    /// <summary>Alerts reported through <see cref="OnAlert"/>.</summary>
    public int Alerts { get; private set; }

    /// <summary>Distinct mismatches not reported because of <see cref="MaxAlerts"/>.</summary>
    public int Suppressed { get; private set; }

    public bool DetailsTruncated => _whole?.Truncated ?? _sink.Scorer.Truncated;

    public void OnSyscall(long thread, int number, long line)
    {
        LastLine = line;
        if (thread != _lastThread)
        {
            _lastThread = thread;
            if (_alive.Add(thread))
            {
                _threadsAlive = _alive.Count;
            }
        }

        _sink.OnSyscall(thread, number, line);
        if (!_profile.DecidesAtEnd && _sink.Scorer.Explained != _seenExplained)
        {
            _seenExplained = _sink.Scorer.Explained;
            Evaluate();
            LastCallAnomalous = Anomalous;
        }
        else
        {
            LastCallAnomalous = false;
        }
    }

    public void OnThreadEnd(long thread)
    {
        _sink.OnThreadEnd(thread);
        _alive.Remove(thread);
        _threadsAlive = _alive.Count;
        _lastThread = long.MinValue;
    }

    public void OnThreadRenamed(long oldThread, long newThread)
    {
        _sink.OnThreadRenamed(oldThread, newThread);
        if (_alive.Remove(oldThread))
        {
            _alive.Add(newThread);
            _threadsAlive = _alive.Count;
        }

        _lastThread = long.MinValue;
    }

    /// <summary>
    /// The log has ended: a whole-log detector scores it now and, beyond the threshold, reports each
    /// window or call behind the score through <see cref="OnAlert"/>. Does nothing for the others.
    /// </summary>
    public void Complete()
    {
        if (!_profile.DecidesAtEnd || _whole is not null)
        {
            return;
        }

        _whole = _sink.Finish();
        _waiting.AddRange(_whole.Details);
        Evaluate();
    }

    private void Evaluate()
    {
        if (!Anomalous)
        {
            if (Score <= _profile.Threshold)
            {
                return;
            }

            Anomalous = true;
        }

        foreach (Mismatch mismatch in _waiting)
        {
            if (Alerts >= MaxAlerts)
            {
                Suppressed++;
                continue;
            }

            Alerts++;
            OnAlert(mismatch);
        }

        _waiting.Clear();
    }
}

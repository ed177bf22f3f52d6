using Sysprint.Engine;
using Sysprint.Model;
using Sysprint.Parsing;

namespace Sysprint.Agent.Live;

/// <summary>
/// Checks a log while it is read: forwards each call to a <see cref="FingerprintChecker"/> and, the
/// moment the log's score passes the profile's threshold, reports each distinct mismatch (those
/// found so far, then each new one at once) through <see cref="OnAlert"/>. With the paper's
/// threshold 0 that is the offending call's own line. The whole-log detectors (zstide, freq,
/// callset) score the log as it streams and decide in <see cref="Complete"/>, once it has ended.
/// </summary>
/// <remarks>Not thread-safe: one per log, called from the thread reading it.</remarks>
public sealed class LiveCheck : ISyscallSink
{
    private readonly FingerprintChecker _checker;
    private readonly LiveProfile _profile;
    private readonly List<Mismatch> _waiting = [];
    private readonly List<Mismatch> _ignored = [];
    private readonly WindowScorer? _scorer;
    private long _scoredCalls;
    private WindowScore? _whole;
    private long _seenMismatches;

    public LiveCheck(LiveProfile profile, Action<Mismatch> onAlert, bool ignoreThreadStarts = false, int maxAlerts = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(onAlert);
        _profile = profile;
        _checker = profile.NewChecker();
        _checker.OnFirstMismatch = OnFirstMismatch;
        OnAlert = onAlert;
        IgnoreThreadStarts = ignoreThreadStarts;
        MaxAlerts = maxAlerts;
        if (profile.Windows is not null)
        {
            _scorer = profile.Windows.NewScorer(profile.Detector, _checker.MaxThreads);
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

    public long Syscalls => _scorer is null ? _checker.Syscalls : _scoredCalls;

    /// <summary>The line of the last call read.</summary>
    public long LastLine { get; private set; }

    /// <summary>Mismatching windows counted with repetition (ignored ones left out).</summary>
    public long MismatchCount => _whole?.Count ?? _checker.MismatchCount - IgnoredCount();

    /// <summary>Distinct mismatches (ignored ones left out), in order of first occurrence.</summary>
    public IReadOnlyList<Mismatch> Mismatches => _whole?.Details ?? [.. _checker.Mismatches.Where(m => !_ignored.Contains(m))];

    /// <summary>The detector's score so far (a whole-log detector's: 0 until <see cref="Complete"/>).</summary>
    public double Score => _whole?.Score ?? (_profile.Detector == Detectors.Lfc ? _checker.MaxFrameMismatches : MismatchCount);

    public bool Anomalous { get; private set; }

    /// <summary>Alerts reported through <see cref="OnAlert"/>.</summary>
    public int Alerts { get; private set; }

    /// <summary>Distinct mismatches not reported because of <see cref="MaxAlerts"/>.</summary>
    public int Suppressed { get; private set; }

    public bool DetailsTruncated => _whole?.Truncated ?? _checker.DetailsTruncated;

    public void OnSyscall(long thread, int number, long line)
    {
        LastLine = line;
        if (_scorer is not null)
        {
            _scoredCalls++;
            _scorer.OnSyscall(thread, number, line);
            return;
        }

        _checker.OnSyscall(thread, number, line);
        if (_checker.MismatchCount != _seenMismatches)
        {
            _seenMismatches = _checker.MismatchCount;
            Evaluate();
        }
    }

    public void OnThreadEnd(long thread)
    {
        if (_scorer is not null)
        {
            _scorer.OnThreadEnd(thread);
        }
        else
        {
            _checker.OnThreadEnd(thread);
        }
    }

    public void OnThreadRenamed(long oldThread, long newThread)
    {
        if (_scorer is not null)
        {
            _scorer.OnThreadRenamed(oldThread, newThread);
        }
        else
        {
            _checker.OnThreadRenamed(oldThread, newThread);
        }
    }

    /// <summary>
    /// The log has ended: a whole-log detector scores it now and, beyond the threshold, reports each
    /// window or call behind the score through <see cref="OnAlert"/>. Does nothing for the others.
    /// </summary>
    public void Complete()
    {
        if (_scorer is null || _whole is not null)
        {
            return;
        }

        _whole = _scorer.Finish();
        _waiting.AddRange(_whole.Details);
        Evaluate();
    }

    private void OnFirstMismatch(Mismatch mismatch)
    {
        if (IgnoreThreadStarts && mismatch.Gram.Length < _profile.Fingerprint.Window)
        {
            _ignored.Add(mismatch);
            return;
        }

        _waiting.Add(mismatch);
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

    private long IgnoredCount()
    {
        long n = 0;
        foreach (Mismatch m in _ignored)
        {
            n += m.Count;
        }

        return n;
    }
}

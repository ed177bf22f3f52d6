using System.Collections.Concurrent;
using Sysprint.Model;
using Sysprint.Storage;

namespace Sysprint.Detection;

/// <summary>
/// What detectors learn from: a profile's fingerprint, and the window counts of its learnt logs
/// (each log's id in <see cref="Windows"/>, its length, its distinct calls). The evaluation builds
/// one from the traces it learnt, check from the store. Each detector's calibration on them is
/// computed once (<see cref="Calibration{T}"/>) and shared by every log scored.
/// </summary>
public sealed class NormalRuns
{
    private readonly ConcurrentDictionary<Type, Lazy<object>> _calibrations = new();
    private readonly SubstringModel? _windows;
    private readonly Fingerprint? _fingerprint;
    private readonly Lazy<IReadOnlyList<HeldOutLog>>? _heldOut;

    /// <param name="heldOut">Makes <see cref="HeldOutLogs"/> when first read (null: the runs cannot give them).</param>
    public NormalRuns(Fingerprint? fingerprint, SubstringModel? windows, IReadOnlyList<(int Log, long Calls)> logs, IReadOnlyList<int[]> vocabularies,
        Func<IReadOnlyList<HeldOutLog>>? heldOut = null)
    {
        _heldOut = heldOut is null ? null : new Lazy<IReadOnlyList<HeldOutLog>>(heldOut);
        ArgumentNullException.ThrowIfNull(logs);
        ArgumentNullException.ThrowIfNull(vocabularies);
        _fingerprint = fingerprint;
        _windows = windows;
        windows?.Freeze();
        Logs = logs;
        Vocabularies = vocabularies;
    }

    /// <summary>A profile's stored window counts, and its fingerprint when loaded.</summary>
    public static NormalRuns FromStore(StoredWindowModel stored, Fingerprint? fingerprint = null)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return new NormalRuns(fingerprint, stored.Model, stored.Logs, stored.Vocabularies,
            () => HeldOut.InLearningOrder(stored.Model, stored.Logs, stored.LogWindows, stored.Vocabularies));
    }

    /// <summary>True when the window counts are here.</summary>
    public bool HasWindows => _windows is not null;

    /// <summary>True when the fingerprint is here.</summary>
    public bool HasFingerprint => _fingerprint is not null;

    /// <summary>Every window of 1 to 10 calls of the learnt logs, with its totals.</summary>
    /// <exception cref="InvalidOperationException">They were not loaded (a caller's bug: load them for detectors that read them).</exception>
    public SubstringModel Windows => _windows ?? throw new InvalidOperationException("these normal runs hold no window counts");

    /// <summary>The profile's fingerprint.</summary>
    /// <exception cref="InvalidOperationException">It was not loaded.</exception>
    public Fingerprint Fingerprint => _fingerprint ?? throw new InvalidOperationException("these normal runs hold no fingerprint");

    /// <summary>Each learnt log: its id in <see cref="Windows"/> and its number of calls.</summary>
    public IReadOnlyList<(int Log, long Calls)> Logs { get; }

    /// <summary>Each learnt log's distinct calls, ascending, in the order of <see cref="Logs"/>.</summary>
    public IReadOnlyList<int[]> Vocabularies { get; }

    /// <summary>
    /// The learnt logs held out in learning order (<see cref="HeldOut"/>): each tenth checked
    /// against the tenths learnt before it, as new logs are checked against what was learnt before them.
    /// </summary>
    /// <exception cref="InvalidOperationException">These runs cannot give them (a caller's bug).</exception>
    public IReadOnlyList<HeldOutLog> HeldOutLogs => _heldOut?.Value ?? throw new InvalidOperationException("these normal runs hold no learnt logs' own windows");

    /// <summary>A detector's calibration on these runs, made once by <paramref name="make"/> and then shared (thread-safe).</summary>
    public T Calibration<T>(Func<NormalRuns, T> make)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(make);
        return (T)_calibrations.GetOrAdd(typeof(T), _ => new Lazy<object>(() => make(this))).Value;
    }
}

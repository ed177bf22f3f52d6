using Sysprint.Diagnostics;

namespace Sysprint.Detection;

/// <summary>
/// One way of scoring a log against normal runs: the higher, the more anomalous, and anomalous
/// beyond a threshold. A detector owns its name and parameters, how it is calibrated from normal
/// runs alone, and the one streaming scorer that <c>eval</c>, <c>check</c>, <c>run</c>,
/// <c>attach</c> and <c>watch</c> all drive. Every point of the score is explained by windows or
/// calls that an alert lists. Instances are immutable and may score several logs at once.
/// </summary>
/// <remarks>A new detector is one subclass, one <see cref="DetectorKind"/> line in
/// <see cref="Engine.Detectors"/> and its tests.</remarks>
public abstract class Detector
{
    /// <summary>The name a report shows: the kind's (<c>stide</c>) in check, a variant's (<c>stide-6</c>) in eval.</summary>
    public abstract string Name { get; }

    /// <summary>The registered kind (<c>--detector</c> value, the <c>detector</c> field of a check).</summary>
    public abstract string Kind { get; }

    /// <summary>One line: what the score counts.</summary>
    public abstract string Description { get; }

    /// <summary>
    /// True when the detector reads the profile's window counts (the <see cref="SubstringModel"/> of
    /// its learnt logs) rather than its fingerprint alone. Such a score is known only once the log
    /// has ended, so live checking decides then, not at the offending call.
    /// </summary>
    public virtual bool ReadsWindowCounts => false;

    /// <summary>
    /// The window length whose novelty the scorer asks (<see cref="ScoredCall.IsNovel"/>) when it reads
    /// the fingerprint; 0 for a detector that reads only the window counts.
    /// </summary>
    public virtual int FingerprintWindow => 0;

    /// <summary>
    /// For <see cref="HeldOut"/>: how the detector is named in the list of those that can be
    /// calibrated from the learnt logs alone, or null when it cannot.
    /// </summary>
    public virtual string? CalibrationName => null;

    /// <summary>A scorer of one log, fed call by call, against what <paramref name="normal"/> learnt.</summary>
    public abstract DetectorScorer NewScorer(NormalRuns normal, ScorerOptions options);

    /// <summary>
    /// The score of each learnt log held out in learning order (<see cref="NormalRuns.HeldOutLogs"/>:
    /// each tenth of the learnt logs checked against the tenths learnt before it), read from the
    /// window counts, so no log is read again: <c>profile --false-alarms</c> chooses a threshold from them.
    /// </summary>
    /// <exception cref="SysprintException">The detector cannot be calibrated so (Usage).</exception>
    public virtual double[] HeldOut(NormalRuns normal)
    {
        ArgumentNullException.ThrowIfNull(normal);
        IEnumerable<string> able = Engine.Detectors.Kinds
            .Select(k => k.ForProfile(Model.Fingerprint.MinWindow).CalibrationName)
            .OfType<string>();
        string[] names = [.. able];
        string list = names.Length < 2 ? string.Join("", names) : string.Join(", ", names[..^1]) + " and " + names[^1];
        throw new SysprintException(ErrorKind.Usage,
            $"a threshold from the learnt logs alone is available for {list}, not for {Kind}") { Remedy = RemedyKind.GiveThreshold };
    }

    public override string ToString() => Name;
}

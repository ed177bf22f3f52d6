using Sysprint.Model;
using Sysprint.Parsing;

namespace Sysprint.Engine;

/// <summary>The verdict on one log and the mismatches behind it.</summary>
public sealed record CheckOutcome(
    string Path,
    string Profile,
    string Detector,
    double Threshold,
    LogReadResult Read,
    long MismatchCount,
    IReadOnlyList<Mismatch> Mismatches,
    bool DetailsTruncated,
    double Score)
{
    public long Syscalls => Read.Syscalls;

    /// <summary>Anomalous when the detector's score exceeds the threshold (0 by default: any mismatch, as the paper).</summary>
    public bool Anomalous => Score > Threshold;

    public string Verdict => Anomalous ? "anomalous" : "normal";
}

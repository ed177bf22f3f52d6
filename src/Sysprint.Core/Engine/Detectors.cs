namespace Sysprint.Engine;

/// <summary>Names of the detectors a profile can be checked with.</summary>
public static class Detectors
{
    /// <summary>The paper's fingerprint: any mismatching window (beyond the threshold) makes the log anomalous.</summary>
    public const string Paper = "paper";

    public static readonly IReadOnlyList<string> All = [Paper];
}

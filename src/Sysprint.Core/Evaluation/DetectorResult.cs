namespace Sysprint.Evaluation;

/// <summary>One detector's scores and curve.</summary>
public sealed record DetectorResult(
    string Name,
    string Description,
    double[] NormalScores,
    double[] AttackScores,
    Roc Roc)
{
    /// <summary>False-alarm rates whose best operating points are reported.</summary>
    public static readonly IReadOnlyList<double> ReportedFalseAlarmRates = [0.01, 0.05, 0.10];
}

namespace Sysprint.Evaluation;

/// <summary>Everything an evaluation measured.</summary>
public sealed record EvalResult(
    EvalInputs Inputs,
    long TrainCalls,
    long NormalCalls,
    long AttackCalls,
    IReadOnlyList<DetectorResult> Detectors,
    IReadOnlyList<string> AttackKinds,
    IReadOnlyList<(int Traces, int Pairs, int Windows6)> Convergence,
    TimeSpan LoadTime,
    TimeSpan LearnTime,
    TimeSpan ScoreTime)
{
    /// <summary>Detection rate per attack kind at a threshold.</summary>
    public IReadOnlyDictionary<string, double> DetectionByKind(DetectorResult detector, double threshold)
    {
        ArgumentNullException.ThrowIfNull(detector);
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string kind in AttackKinds)
        {
            int total = 0;
            int caught = 0;
            for (int i = 0; i < Inputs.Attack.Count; i++)
            {
                if (Inputs.Attack[i].Kind == kind)
                {
                    total++;
                    if (detector.AttackScores[i] > threshold)
                    {
                        caught++;
                    }
                }
            }

            result[kind] = total == 0 ? 0 : caught / (double)total;
        }

        return result;
    }
}

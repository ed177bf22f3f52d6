namespace Sysprint.Evaluation;

/// <summary>A log of the evaluation with its attack kind (null for normal logs).</summary>
public readonly record struct LabelledLog(string Path, string? Kind);

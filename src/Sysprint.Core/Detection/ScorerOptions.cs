using Sysprint.Parsing;

namespace Sysprint.Detection;

/// <summary>How a scorer works on one log.</summary>
public sealed record ScorerOptions
{
    /// <summary>Explain the score (check, live): keep each distinct window or call behind it. The evaluation needs the score only.</summary>
    public bool Explain { get; init; } = true;

    /// <summary>Most threads alive at once in one log.</summary>
    public int MaxThreads { get; init; } = LogReadOptions.DefaultMaxThreads;

    /// <summary>Most distinct calls in one log (a scorer that keeps every call refuses more, as malformed input).</summary>
    public int MaxCalls { get; init; } = LogReadOptions.DefaultMaxCalls;

    /// <summary>Scores only, no explanation: the evaluation's.</summary>
    public static ScorerOptions ScoreOnly { get; } = new() { Explain = false };
}

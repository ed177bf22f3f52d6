using Sysprint.Diagnostics;
using Sysprint.Engine;

namespace Sysprint.App.Learning;

/// <summary>What learning one log did: its <see cref="Outcome"/>, or why the log could not be learnt.</summary>
/// <param name="Error">The log was malformed or could not be read (exactly one of the two is set).</param>
public sealed record LearnResult(string Path, TrainOutcome? Outcome, SysprintException? Error);

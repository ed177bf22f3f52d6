using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.Engine;

/// <summary>What learning one log did.</summary>
/// <param name="Log">The stored log; when <paramref name="AlreadyLearnt"/>, the earlier log with the same content.</param>
/// <param name="Read">What the reader found; null when the log was not read again.</param>
public sealed record TrainOutcome(
    string Path,
    string Profile,
    LearntLog Log,
    bool AlreadyLearnt,
    LogReadResult? Read,
    int FingerprintSize,
    int KnownCalls);

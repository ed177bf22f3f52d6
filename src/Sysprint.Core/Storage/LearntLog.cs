namespace Sysprint.Storage;

/// <summary>A log learnt into a profile.</summary>
public sealed record LearntLog(
    string Path,
    long Size,
    string Sha256,
    long Syscalls,
    int NewTransitions,
    int FingerprintSize,
    DateTimeOffset Time);

namespace Sysprint.Model;

/// <summary>
/// A window of a checked log that the fingerprint does not hold, with where it first occurred and
/// how often. <see cref="Gram"/> is oldest call first; its last call is the one that did not fit.
/// </summary>
public sealed class Mismatch(int[] gram, long firstLine, long thread)
{
    public int[] Gram { get; } = gram;

    /// <summary>1-based line of the first occurrence in the log.</summary>
    public long FirstLine { get; } = firstLine;

    /// <summary>Thread (pid) of the first occurrence; 0 when the log has none.</summary>
    public long Thread { get; } = thread;

    public long Count { get; internal set; } = 1;

    /// <summary>
    /// Why the window counts against the log when it is not simply unseen (the paper's mismatch):
    /// e.g. "rare" for a window seen too seldom, or a call-set reason. Null for an unseen window.
    /// </summary>
    public string? Reason { get; init; }

    /// <summary>The call before the offending one, or null at a thread's first call.</summary>
    public int? Previous => Gram.Length >= 2 ? Gram[^2] : null;

    /// <summary>The offending call.</summary>
    public int Next => Gram[^1];
}

namespace Sysprint.Parsing;

/// <summary>One parsed line; <see cref="Name"/> points into the line and is valid as long as it is.</summary>
internal ref struct ParsedLine
{
    public LineKind Kind;

    /// <summary>Thread or process id from the line's prefix, or -1 when it has none.</summary>
    public long Pid;

    /// <summary>The call's name (ASCII), empty when the line carries only a number.</summary>
    public ReadOnlySpan<byte> Name;

    /// <summary>1-based column where <see cref="Name"/> starts.</summary>
    public int NameColumn;

    /// <summary>A number the line states itself (strace <c>-n</c>, <c>syscall_0x1b3</c>), or -1.</summary>
    public int Number;

    /// <summary>For <see cref="LineKind.Malformed"/>: 1-based column of the problem.</summary>
    public int ErrorColumn;

    /// <summary>For <see cref="LineKind.Malformed"/>: what was expected (a constant string).</summary>
    public string? Expected;

    /// <summary>True when the strace entry is cut by <c>&lt;unfinished ...&gt;</c>.</summary>
    public bool Unfinished;

    /// <summary>
    /// For a strace entry that ends in strace's own <c>strace: Process N attached</c> notice (trace to
    /// stderr, the notice printed while the call's line was open): N; the call goes on on the next
    /// line. 0 otherwise.
    /// </summary>
    public long SplicedAttach;

    public static ParsedLine Malformed(int column, string expected) => new()
    {
        Kind = LineKind.Malformed,
        Pid = -1,
        Number = -1,
        ErrorColumn = column,
        Expected = expected,
    };
}

namespace Sysprint.Diagnostics;

/// <summary>
/// An expected failure caused by the user's input or environment, of a typed <see cref="Kind"/>.
/// Front ends print its message (the CLI as <c>sysprint: error: ...</c>, never a stack trace) and
/// map its kind to their own codes; the library that throws it knows no exit code.
/// </summary>
public class SysprintException : Exception
{
    public SysprintException(ErrorKind kind, string message, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
    }

    /// <summary>What went wrong, for the front end to map (the CLI: to an exit code).</summary>
    public ErrorKind Kind { get; }

    /// <summary>What the user can do about it, for the front end to word (null: nothing to add).</summary>
    public Remedy? Remedy { get; init; }
}

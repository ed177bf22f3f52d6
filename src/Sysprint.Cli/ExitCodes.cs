using Sysprint.Diagnostics;

namespace Sysprint.Cli;

/// <summary>
/// The process exit codes of every sysprint command (sysexits.h where one fits), and the one mapping
/// from a failure's <see cref="ErrorKind"/> to its code: the libraries below the CLI know no exit code.
/// </summary>
public static class ExitCodes
{
    /// <summary>Success; for <c>check</c>, every log was normal.</summary>
    public const int Ok = 0;

    /// <summary>At least one log was anomalous (like <c>diff</c>).</summary>
    public const int Anomalous = 1;

    /// <summary>The command line was wrong (EX_USAGE).</summary>
    public const int Usage = 64;

    /// <summary>An input was malformed (EX_DATAERR).</summary>
    public const int MalformedInput = 65;

    /// <summary>An input was missing or unreadable (EX_NOINPUT).</summary>
    public const int InputMissing = 66;

    /// <summary>A tool sysprint needs (strace, a compiler for the demo) is not installed (EX_UNAVAILABLE).</summary>
    public const int Unavailable = 69;

    /// <summary>
    /// A fingerprint failed its seal check (changed, unsealed, or signed by another key), or a key,
    /// store or agent config that others may change was refused (EX_NOPERM).
    /// </summary>
    public const int Untrusted = 77;

    /// <summary>The store could not be used: locked, corrupt, or of a newer schema (EX_SOFTWARE would hide it; EX_IOERR fits).</summary>
    public const int StoreUnavailable = 74;

    /// <summary>
    /// Another agent is already watching with the same store (EX_TEMPFAIL): not an error in this
    /// command, and the same command succeeds once the other one stopped.
    /// </summary>
    public const int TemporaryFailure = 75;

    /// <summary>A bug in sysprint itself (EX_SOFTWARE).</summary>
    public const int Internal = 70;

    /// <summary>Interrupted by Ctrl+C.</summary>
    public const int Interrupted = 130;

    /// <summary>The exit code of a failure of <paramref name="kind"/>.</summary>
    public static int Of(ErrorKind kind) => kind switch
    {
        ErrorKind.Usage => Usage,
        ErrorKind.MalformedInput => MalformedInput,
        ErrorKind.InputMissing => InputMissing,
        ErrorKind.Unavailable => Unavailable,
        ErrorKind.Untrusted => Untrusted,
        ErrorKind.StoreUnavailable => StoreUnavailable,
        ErrorKind.TemporaryFailure => TemporaryFailure,
        ErrorKind.Internal => Internal,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no exit code for this error kind"),
    };

    /// <summary>The exit code of <paramref name="error"/>.</summary>
    public static int Of(SysprintException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return Of(error.Kind);
    }
}

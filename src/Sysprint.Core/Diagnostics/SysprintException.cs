namespace Sysprint.Diagnostics;

/// <summary>
/// An expected failure caused by the user's input or environment. The CLI prints its message
/// as <c>sysprint: error: ...</c> and exits with <see cref="ExitCode"/>; never a stack trace.
/// </summary>
public class SysprintException : Exception
{
    public SysprintException(int exitCode, string message, Exception? inner = null)
        : base(message, inner)
    {
        ExitCode = exitCode;
    }

    /// <summary>One of <see cref="ExitCodes"/>.</summary>
    public int ExitCode { get; }
}

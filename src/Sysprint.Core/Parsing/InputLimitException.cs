using Sysprint.Diagnostics;

namespace Sysprint.Parsing;

/// <summary>
/// A log went past a resource limit (threads alive at once, distinct calls). The message names the
/// limit, <see cref="SysprintException.Remedy"/> the one to raise; the log reader adds the path and
/// the line being read.
/// </summary>
internal sealed class InputLimitException : SysprintException
{
    public InputLimitException(string detail, RemedyKind remedy)
        : base(ErrorKind.MalformedInput, detail)
    {
        Remedy = remedy;
    }
}

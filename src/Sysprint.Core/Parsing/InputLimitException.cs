using Sysprint.Diagnostics;

namespace Sysprint.Parsing;

/// <summary>
/// A log went past a resource limit (threads alive at once, distinct calls). The message names the
/// limit and the option that raises it; the log reader adds the path and the line being read.
/// </summary>
internal sealed class InputLimitException(string detail) : SysprintException(ErrorKind.MalformedInput, detail);

using Sysprint.Diagnostics;
using Sysprint.Parsing;

namespace Sysprint.Engine;

/// <summary>Names a log's profile after its program: the file name of its first <c>execve</c>.</summary>
public static class ProgramProfile
{
    /// <summary>The program of the log's first <c>execve</c>.</summary>
    /// <exception cref="SysprintException">The log shows no <c>execve</c> (MalformedInput).</exception>
    public static string Find(string path, LogReadOptions options) =>
        LogReader.FindProgram(path, options) ?? throw new SysprintException(ErrorKind.MalformedInput,
            $"{path}: no execve line in the log to name its profile after") { Remedy = RemedyKind.NameProfile };
}

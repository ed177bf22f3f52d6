using Sysprint.Diagnostics;
using Sysprint.Parsing;

namespace Sysprint.Engine;

/// <summary>Names a log's profile after its program (<c>--profile auto</c>): the file name of its first <c>execve</c>.</summary>
public static class ProgramProfile
{
    /// <summary>The program of the log's first <c>execve</c>.</summary>
    /// <exception cref="SysprintException">The log shows no <c>execve</c> (MalformedInput).</exception>
    public static string Find(string path, LogReadOptions options) =>
        LogReader.FindProgram(path, options) ?? throw new SysprintException(ErrorKind.MalformedInput,
            $"{path}: --profile auto needs the program's execve line, and this log has none (name the profile with --profile NAME)");
}

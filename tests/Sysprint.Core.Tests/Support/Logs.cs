using System.Text;
using Sysprint.Mapping;
using Sysprint.Parsing;

namespace Sysprint.Core.Tests.Support;

/// <summary>Reads logs into a <see cref="RecordingSink"/> for assertions.</summary>
internal static class Logs
{
    public static SyscallTable X8664 => SyscallTable.Builtin("x86_64");

    public static (LogReadResult Result, RecordingSink Sink) ReadFile(string path, LogReadOptions? options = null, SyscallTable? table = null)
    {
        var sink = new RecordingSink();
        LogReadResult result = LogReader.Read(path, table ?? X8664, options ?? new LogReadOptions(), sink);
        return (result, sink);
    }

    public static (LogReadResult Result, RecordingSink Sink) ReadText(string text, LogReadOptions? options = null, SyscallTable? table = null, string path = "test.log") =>
        ReadBytes(Encoding.UTF8.GetBytes(text), options, table, path);

    public static (LogReadResult Result, RecordingSink Sink) ReadBytes(byte[] bytes, LogReadOptions? options = null, SyscallTable? table = null, string path = "test.log")
    {
        var sink = new RecordingSink();
        using var stream = new MemoryStream(bytes);
        LogReadResult result = LogReader.Read(stream, path, table ?? X8664, options ?? new LogReadOptions(), sink);
        return (result, sink);
    }
}

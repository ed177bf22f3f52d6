using System.Buffers;
using System.Buffers.Text;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text;
using Sysprint.Diagnostics;
using Sysprint.Mapping;

namespace Sysprint.Parsing;

/// <summary>
/// Reads one log of any supported format, streaming in constant memory, and hands its calls to a
/// sink as (thread, syscall number, line). Names become numbers through the mapping once per line
/// without allocating. Bad input raises <see cref="MalformedInputException"/> with
/// <c>path:line:col</c>, or is counted and skipped in lenient mode.
/// </summary>
public static class LogReader
{
    // Control bytes never appear in any supported format (strace escapes them in strings); an ESC
    // left once colour sequences are stripped would reach a terminal through a name or a path.
    /// <summary>Lines read per call of a batch method (see <see cref="ReadStrace"/>).</summary>
    private const int BatchLines = 4096;

    private static readonly SearchValues<byte> s_controlBytes = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 127]);

    /// <summary>Opens <paramref name="path"/> (gzip or plain) and reads it.</summary>
    /// <exception cref="SysprintException">The file is missing or unreadable (InputMissing).</exception>
    /// <exception cref="MalformedInputException">A line does not fit the format (MalformedInput).</exception>
    public static LogReadResult Read(string path, SyscallTable table, LogReadOptions options, ISyscallSink sink)
    {
        ArgumentNullException.ThrowIfNull(path);
        using Stream stream = OpenLog(path);
        return Read(stream, path, table, options, sink);
    }

    /// <summary>Opens a log file for reading, decompressing gzip by its magic bytes.</summary>
    public static Stream OpenLog(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileStream file;
        try
        {
            file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                BufferSize = 0,
                Options = FileOptions.SequentialScan,
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SysprintException(ErrorKind.InputMissing, $"{path}: cannot read: {Describe(e)}", e);
        }

        if (!file.CanSeek)
        {
            return file;
        }

        Span<byte> magic = stackalloc byte[2];
        int n = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        if (n == 2 && magic[0] == 0x1F && magic[1] == 0x8B)
        {
            return new BufferedStream(new GZipStream(file, CompressionMode.Decompress), 64 * 1024);
        }

        return file;
    }

    /// <summary>Reads a log from a stream; <paramref name="path"/> names it in messages.</summary>
    public static LogReadResult Read(Stream stream, string path, SyscallTable table, LogReadOptions options, ISyscallSink sink)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);

        var result = new LogReadResult { Path = path };
        using var lines = new LineReader(stream, options.MaxLineBytes, options.BufferSize);
        try
        {
            LogFormat format = options.Format;
            if (format == LogFormat.Auto)
            {
                ReadOnlySpan<byte> head = lines.Peek(FormatDetector.HeadBytes);
                format = DetectOrThrow(path, head, head.Length < FormatDetector.HeadBytes);
            }

            result.Format = format;
            var context = new ReadContext(path, table, options, sink, result);
            switch (format)
            {
                case LogFormat.Strace:
                    ReadStrace(lines, ref context);
                    break;
                case LogFormat.NtTrace:
                    ReadNtTrace(lines, ref context);
                    break;
                case LogFormat.Adfa:
                    ReadAdfa(lines, ref context);
                    break;
                case LogFormat.Unm:
                    ReadUnm(lines, ref context);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(options), options.Format, "unknown log format");
            }
        }
        catch (LineTooLongException e)
        {
            throw new MalformedInputException(path, e.Line, 1, $"line longer than {e.Limit} bytes") { Remedy = RemedyKind.RaiseLineLimit };
        }
        catch (InputLimitException e)
        {
            // Thrown by the sink or the thread tracker while the current line was being handled.
            throw new MalformedInputException(path, Math.Max(1, lines.LineNumber), 1, e.Message) { Remedy = e.Remedy };
        }
        catch (InvalidDataException e)
        {
            throw new MalformedInputException(path, lines.LineNumber + 1, 1, $"corrupt gzip data: {e.Message}");
        }
        catch (IOException e)
        {
            throw new SysprintException(ErrorKind.InputMissing, $"{path}: read failed: {e.Message}", e);
        }

        result.Lines = lines.LineNumber;
        result.Bytes = lines.BytesRead;
        if (result.Syscalls == 0)
        {
            string why = lines.LineNumber == 0
                ? "the log is empty"
                : $"no system calls found in {lines.LineNumber} line{(lines.LineNumber == 1 ? "" : "s")}";
            throw new MalformedInputException(path, Math.Max(1, lines.LineNumber), 1, why);
        }

        return result;
    }

    /// <summary>
    /// The program of the log's first <c>execve</c> (strace logs), looking at most at the first
    /// <paramref name="maxLines"/> lines; null when there is none.
    /// </summary>
    public static string? FindProgram(string path, LogReadOptions options, int maxLines = 100_000)
    {
        ArgumentNullException.ThrowIfNull(options);
        using Stream stream = OpenLog(path);
        using var lines = new LineReader(stream, options.MaxLineBytes, options.BufferSize);
        LogFormat format = options.Format;
        if (format == LogFormat.Auto)
        {
            ReadOnlySpan<byte> head = lines.Peek(FormatDetector.HeadBytes);
            format = head.IsEmpty ? LogFormat.Auto : FormatDetector.Detect(head, head.Length < FormatDetector.HeadBytes);
        }

        if (format != LogFormat.Strace)
        {
            return null;
        }

        try
        {
            while (lines.LineNumber < maxLines && lines.TryReadLine(out ReadOnlySpan<byte> line))
            {
                StraceLineParser.Parse(line, out ParsedLine rec);
                if (rec.Kind == LineKind.Syscall && rec.Name.SequenceEqual("execve"u8))
                {
                    return ProgramOfExecve(line);
                }
            }
        }
        catch (LineTooLongException)
        {
            return null;
        }

        return null;
    }

    /// <summary>The format of <paramref name="path"/> as auto-detection sees it.</summary>
    public static LogFormat Detect(string path)
    {
        using Stream stream = OpenLog(path);
        using var lines = new LineReader(stream, LogReadOptions.DefaultMaxLineBytes);
        ReadOnlySpan<byte> head = lines.Peek(FormatDetector.HeadBytes);
        return DetectOrThrow(path, head, head.Length < FormatDetector.HeadBytes);
    }

    private static LogFormat DetectOrThrow(string path, ReadOnlySpan<byte> head, bool complete)
    {
        if (head.IsEmpty)
        {
            throw new MalformedInputException(path, 1, 1, "the log is empty");
        }

        if (head.IndexOfAnyExcept(" \t\r\n"u8) < 0)
        {
            throw new MalformedInputException(path, 1, 1, "no system calls found: the log holds only blank lines");
        }

        LogFormat format = FormatDetector.Detect(head, complete);
        if (format != LogFormat.Auto)
        {
            return format;
        }

        int nl = head.IndexOf((byte)'\n');
        ReadOnlySpan<byte> first = (nl >= 0 ? head[..nl] : head).TrimEnd((byte)'\r');
        int control = first.IndexOfAny(s_controlBytes);
        string found = control >= 0
            ? $"binary data (byte 0x{first[control]:X2} at column {control + 1})"
            : Printable.Quote(first);
        throw new MalformedInputException(path, 1, 1,
            $"cannot tell the log format: expected strace, NtTrace, ADFA-LD or UNM lines, found {found}") { Remedy = RemedyKind.NameFormat };
    }

    private static void ReadStrace(LineReader lines, ref ReadContext cx)
    {
        var threads = new StraceThreads(cx.Sink, cx.Options.MaxThreads);
        byte[]? scratch = null;
        try
        {
            // Batches of lines, each one call: a method called thousands of times is compiled with
            // the profile of its calls, where one long loop would run as on-stack-replaced code.
            while (ReadStraceBatch(lines, ref cx, threads, ref scratch))
            {
            }
        }
        finally
        {
            if (scratch is not null)
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }
    }

    /// <summary>Reads up to <see cref="BatchLines"/> lines; false at the end of the input.</summary>
    private static bool ReadStraceBatch(LineReader lines, ref ReadContext cx, StraceThreads threads, ref byte[]? scratch)
    {
        for (int n = 0; n < BatchLines; n++)
        {
            if (!lines.TryReadLine(out ReadOnlySpan<byte> line))
            {
                return false;
            }

            long lineNumber = lines.LineNumber;
            if (lines.LineHasControlBytes)
            {
                if (line.IndexOf((byte)0x1B) >= 0)
                {
                    // strace >= 7 colours its output; drop the SGR sequences before parsing.
                    scratch ??= ArrayPool<byte>.Shared.Rent(cx.Options.MaxLineBytes + 1);
                    line = Sgr.Strip(line, scratch);
                }

                if (!CheckText(line, lineNumber, ref cx))
                {
                    continue;
                }
            }

            if (cx.SplicedCall && !line.StartsWith("strace: "u8) && !line.StartsWith("[pid "u8))
            {
                // The rest of a call whose line strace's notice cut (", child_tidptr=...) = 8599",
                // " => {parent_tid=[8601]}, 88) = 8601", " <unfinished ...>"): the call was counted
                // at its entry. The rest may itself end in another notice.
                long again = StraceLineParser.SplicedAttach(line);
                cx.SplicedCall = again > 0;
                if (again > 0)
                {
                    threads.Announced(again);
                }

                continue;
            }

            StraceLineParser.Parse(line, out ParsedLine rec);
            switch (rec.Kind)
            {
                case LineKind.Syscall:
                    if (!lines.LastLineTerminated)
                    {
                        Malformed(ref cx, lineNumber, line.Length + 1, "a newline: the log ends in the middle of a line (truncated?)", line[^0..]);
                        continue;
                    }

                    if (rec.SplicedAttach > 0)
                    {
                        // "vfork(strace: Process 4274 attached": strace's notice cut the entry line;
                        // the next line holds the rest of the call.
                        threads.Announced(rec.SplicedAttach);
                        cx.SplicedCall = true;
                    }

                    int number = Resolve(ref cx, rec.Name, rec.NameColumn, rec.Number, lineNumber);
                    if (number < 0)
                    {
                        continue;
                    }

                    if (cx.Result.FirstProgram is null && rec.Name.SequenceEqual("execve"u8))
                    {
                        cx.Result.FirstProgram = ProgramOfExecve(line);
                    }

                    cx.Sink.OnSyscall(threads.Resolve(rec.Pid), number, lineNumber);
                    cx.Result.Syscalls++;
                    break;
                case LineKind.ThreadExit:
                    long key = threads.Resolve(rec.Pid);
                    threads.Exited(key);
                    cx.Sink.OnThreadEnd(key);
                    break;
                case LineKind.TracerMessage:
                    if (rec.Pid >= 0)
                    {
                        threads.Announced(rec.Pid);
                    }

                    break;
                case LineKind.Foreign:
                    cx.Result.ForeignLines++;
                    break;
                case LineKind.Malformed:
                    Malformed(ref cx, lineNumber, rec.ErrorColumn, rec.Expected!, line);
                    break;
                default:
                    // Resumed, signal, stack, personality, continuation lines: not calls.
                    if (rec.Pid >= 0)
                    {
                        threads.Resolve(rec.Pid);
                    }

                    break;
            }
        }

        return true;
    }

    private static void ReadNtTrace(LineReader lines, ref ReadContext cx)
    {
        while (lines.TryReadLine(out ReadOnlySpan<byte> line))
        {
            long lineNumber = lines.LineNumber;
            if (lines.LineHasControlBytes && !CheckText(line, lineNumber, ref cx))
            {
                continue;
            }

            ParsedLine rec = NtTraceLineParser.Parse(line);
            switch (rec.Kind)
            {
                case LineKind.Syscall:
                    int number = Resolve(ref cx, rec.Name, rec.NameColumn, -1, lineNumber);
                    if (number >= 0)
                    {
                        cx.Sink.OnSyscall(Math.Max(rec.Pid, 0), number, lineNumber);
                        cx.Result.Syscalls++;
                    }

                    break;
                case LineKind.ThreadExit:
                    cx.Sink.OnThreadEnd(Math.Max(rec.Pid, 0));
                    break;
                case LineKind.Malformed:
                    if (lines.LastLineTerminated)
                    {
                        Malformed(ref cx, lineNumber, rec.ErrorColumn, rec.Expected!, line);
                    }
                    else
                    {
                        Malformed(ref cx, lineNumber, line.Length + 1, "a newline: the log ends in the middle of a line (truncated?)", line[^0..]);
                    }

                    break;
            }
        }
    }

    private static void ReadAdfa(LineReader lines, ref ReadContext cx)
    {
        // ADFA-LD: "6 6 63 6 42 120 6 195 ... " on one line, no final newline; no threads.
        while (lines.TryReadLine(out ReadOnlySpan<byte> line))
        {
            long lineNumber = lines.LineNumber;
            int p = 0;
            while (p < line.Length)
            {
                byte b = line[p];
                if (b is (byte)' ' or (byte)'\t')
                {
                    p++;
                    continue;
                }

                if (!ParseNumber(line, ref p, out int number))
                {
                    Malformed(ref cx, lineNumber, p + 1, "a decimal system call number", line);
                    break;
                }

                cx.Sink.OnSyscall(0, number, lineNumber);
                cx.Result.Syscalls++;
            }
        }
    }

    private static void ReadUnm(LineReader lines, ref ReadContext cx)
    {
        // UNM: "PID NUMBER" per line, processes interleaved, blank lines and trailing spaces occur.
        while (lines.TryReadLine(out ReadOnlySpan<byte> line))
        {
            long lineNumber = lines.LineNumber;
            int p = SkipBlanks(line, 0);
            if (p == line.Length)
            {
                continue;
            }

            if (!ParseNumber(line, ref p, out int pid))
            {
                Malformed(ref cx, lineNumber, p + 1, "a process id (UNM lines are 'PID NUMBER')", line);
                continue;
            }

            p = SkipBlanks(line, p);
            int start = p;
            if (!ParseNumber(line, ref p, out int number) || SkipBlanks(line, p) != line.Length)
            {
                Malformed(ref cx, lineNumber, (p == start ? start : p) + 1, "a system call number after the process id, then the end of the line", line);
                continue;
            }

            cx.Sink.OnSyscall(pid, number, lineNumber);
            cx.Result.Syscalls++;
        }
    }

    private static int SkipBlanks(ReadOnlySpan<byte> line, int p)
    {
        while (p < line.Length && line[p] is (byte)' ' or (byte)'\t')
        {
            p++;
        }

        return p;
    }

    /// <summary>A decimal number ending at a blank or the end of the line.</summary>
    private static bool ParseNumber(ReadOnlySpan<byte> line, ref int p, out int number)
    {
        int end = p;
        while (end < line.Length && (uint)(line[end] - '0') <= 9)
        {
            end++;
        }

        if (end == p || end - p > 9 || (end < line.Length && line[end] is not ((byte)' ' or (byte)'\t')))
        {
            number = -1;
            if (end > p && end - p <= 9)
            {
                p = end;
            }

            return false;
        }

        bool parsed = Utf8Parser.TryParse(line[p..end], out number, out _);
        p = end;
        return parsed;
    }

    /// <summary>The number for a call name, learning it when allowed; -1 when the line was skipped.</summary>
    private static int Resolve(ref ReadContext cx, ReadOnlySpan<byte> name, int column, int stated, long lineNumber)
    {
        if (cx.Table.TryGetNumber(name, out int number))
        {
            return number;
        }

        return ResolveUnknown(ref cx, name, column, stated, lineNumber);
    }

    /// <summary>A name the mapping lacks: kept out of line so the per-line loop stays small.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ResolveUnknown(ref ReadContext cx, ReadOnlySpan<byte> name, int column, int stated, long lineNumber)
    {
        if (stated >= 0)
        {
            // strace -n and "syscall_0x1b3" state the number themselves.
            return stated;
        }

        if (name.Length > SyscallTable.MaxNameLength)
        {
            // Never learnt (a mapping file could not hold it) nor quoted whole in a message.
            Report(ref cx, lineNumber, column,
                $"expected a system call name of at most {SyscallTable.MaxNameLength} characters, found {Printable.Quote(name)}");
            return -1;
        }

        if (cx.LearnNames)
        {
            if (cx.Table.NewlyLearnt.Count >= cx.Options.MaxCalls)
            {
                throw new InputLimitException(
                    $"more than {cx.Options.MaxCalls} new system call names", RemedyKind.RaiseCallLimit);
            }

            return cx.Table.Learn(name);
        }

        Report(ref cx, lineNumber, column,
            $"unknown system call '{Encoding.ASCII.GetString(name)}': not in the mapping ({cx.Table.Source})", RemedyKind.LearnNamesOrMapping);
        return -1;
    }

    /// <summary>False (after reporting) when the line holds bytes no text log holds.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool CheckText(ReadOnlySpan<byte> line, long lineNumber, ref ReadContext cx)
    {
        int bad = line.IndexOfAny(s_controlBytes);
        if (bad < 0)
        {
            return true;
        }

        if (line[bad] == (byte)'\r')
        {
            // A line break of its own would hide every call after the first one on the "line".
            Malformed(ref cx, lineNumber, bad + 1, "text, found byte 0x0D (a carriage return inside a line: lines must end in LF or CRLF)", default);
            return false;
        }

        Malformed(ref cx, lineNumber, bad + 1, $"text, found byte 0x{line[bad]:X2} (binary data?)", default);
        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Malformed(ref ReadContext cx, long lineNumber, int column, string expected, ReadOnlySpan<byte> line)
    {
        string detail = expected;
        if (!expected.StartsWith("unknown", StringComparison.Ordinal) && !expected.StartsWith("text,", StringComparison.Ordinal))
        {
            ReadOnlySpan<byte> rest = column - 1 < line.Length ? line[(column - 1)..] : default;
            detail = rest.IsEmpty
                ? $"expected {expected}, found the end of the line"
                : $"expected {expected}, found {Printable.Quote(rest)}";
        }
        else if (expected.StartsWith("text,", StringComparison.Ordinal))
        {
            detail = "expected " + expected;
        }

        Report(ref cx, lineNumber, column, detail);
    }

    /// <summary>Throws the located error, or counts the line as skipped in lenient mode.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Report(ref ReadContext cx, long lineNumber, int column, string detail, Remedy? remedy = null)
    {
        if (!cx.Options.SkipMalformed)
        {
            throw new MalformedInputException(cx.Path, lineNumber, column, detail) { Remedy = remedy };
        }

        cx.Result.SkippedLines++;
        if (cx.Result.FirstSkipped.Count < cx.Options.MaxReportedSkips)
        {
            cx.Result.FirstSkipped.Add(new InputLocation(cx.Path, lineNumber, column, detail, remedy));
        }
    }

    /// <summary>The program name from <c>execve("/usr/bin/cat", ...</c>: the path's last part.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string? ProgramOfExecve(ReadOnlySpan<byte> line)
    {
        int open = line.IndexOf("execve(\""u8);
        if (open < 0)
        {
            return null;
        }

        ReadOnlySpan<byte> rest = line[(open + 8)..];
        int close = rest.IndexOf((byte)'"');
        if (close <= 0)
        {
            return null;
        }

        ReadOnlySpan<byte> path = rest[..close];
        int slash = path.LastIndexOf((byte)'/');
        ReadOnlySpan<byte> name = slash >= 0 ? path[(slash + 1)..] : path;
        return name.IsEmpty ? null : Encoding.UTF8.GetString(name);
    }

    private static string Describe(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        _ => e.Message,
    };

    private ref struct ReadContext(string path, SyscallTable table, LogReadOptions options, ISyscallSink sink, LogReadResult result)
    {
        public readonly string Path = path;
        public readonly SyscallTable Table = table;
        public readonly LogReadOptions Options = options;
        public readonly ISyscallSink Sink = sink;
        public readonly LogReadResult Result = result;
        public readonly bool LearnNames = options.LearnNames ?? result.Format == LogFormat.NtTrace;

        /// <summary>True after a strace call line that strace's own notice cut: the next line is its rest.</summary>
        public bool SplicedCall;
    }
}

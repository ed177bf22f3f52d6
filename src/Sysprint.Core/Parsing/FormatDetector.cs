using System.Buffers;

namespace Sysprint.Parsing;

/// <summary>Tells the format of a log from its first lines.</summary>
internal static class FormatDetector
{
    /// <summary>How much of the head of a log detection looks at.</summary>
    public const int HeadBytes = 64 * 1024;

    private const int MaxLines = 32;

    private static readonly SearchValues<byte> s_numberBytes = SearchValues.Create("0123456789 \t\r\n"u8);

    /// <summary>The format of a log starting with <paramref name="head"/>, or <see cref="LogFormat.Auto"/> when none fits.</summary>
    public static LogFormat Detect(ReadOnlySpan<byte> head, bool complete)
    {
        // A cut last line could be half a token; leave it out unless the head is the whole log.
        if (!complete)
        {
            int lastNewline = head.LastIndexOf((byte)'\n');
            if (lastNewline > 0)
            {
                head = head[..lastNewline];
            }
        }

        if (head.IndexOfAnyExcept(s_numberBytes) < 0)
        {
            return DetectNumbers(head);
        }

        int strace = 0;
        int nttrace = 0;
        byte[]? scratch = null;
        int lines = 0;
        foreach (Range range in head.Split((byte)'\n'))
        {
            ReadOnlySpan<byte> line = head[range].TrimEnd((byte)'\r');
            if (line.IsEmpty)
            {
                continue;
            }

            if (line.IndexOf((byte)0x1B) >= 0)
            {
                scratch ??= new byte[HeadBytes];
                line = Sgr.Strip(line, scratch);
            }

            if (++lines > MaxLines)
            {
                break;
            }

            LineKind s = StraceLineParser.Parse(line).Kind;
            if (s is LineKind.Syscall or LineKind.Resumed or LineKind.Signal or LineKind.ThreadExit
                or LineKind.Stack or LineKind.Personality or LineKind.TracerMessage)
            {
                strace++;
            }

            ParsedLine n = NtTraceLineParser.Parse(line);
            if (n.Kind is LineKind.Syscall or LineKind.PreEntry
                || line.StartsWith("Loaded DLL at "u8)
                || (line.StartsWith("Process "u8) && line.IndexOf(" starting at "u8) > 0))
            {
                nttrace++;
            }
        }

        if (strace == 0 && nttrace == 0)
        {
            return LogFormat.Auto;
        }

        return strace >= nttrace ? LogFormat.Strace : LogFormat.NtTrace;
    }

    private static LogFormat DetectNumbers(ReadOnlySpan<byte> head)
    {
        int lines = 0;
        bool allPairs = true;
        foreach (Range range in head.Split((byte)'\n'))
        {
            ReadOnlySpan<byte> line = head[range];
            int tokens = CountTokens(line);
            if (tokens == 0)
            {
                continue;
            }

            lines++;
            allPairs &= tokens == 2;
        }

        if (lines == 0)
        {
            return LogFormat.Auto;
        }

        return lines >= 2 && allPairs ? LogFormat.Unm : LogFormat.Adfa;
    }

    private static int CountTokens(ReadOnlySpan<byte> line)
    {
        int tokens = 0;
        bool inToken = false;
        foreach (byte b in line)
        {
            bool digit = (uint)(b - '0') <= 9;
            if (digit && !inToken)
            {
                tokens++;
            }

            inToken = digit;
        }

        return tokens;
    }
}

using System.Buffers;
using System.Buffers.Text;
using System.Numerics;
using System.Runtime.Intrinsics;

namespace Sysprint.Parsing;

/// <summary>
/// Parses one line of strace text output, in any of its shapes:
/// <c>[PID-PREFIX] [TIMESTAMP] [RELATIVE] [[NR]] [[IP]] BODY</c>.
/// </summary>
/// <remarks>
/// Captured with e.g. <c>strace -f -tt -T -yy -n -o LOG -- prog</c>; a sample line:
/// <code>4321  12:34:56.123456 [ 257] openat(AT_FDCWD&lt;/home&gt;, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3&lt;/etc/passwd&gt; &lt;0.000021&gt;</code>
/// Only the prefix and the call's name are read: the arguments and the return value do not
/// change the fingerprint, and the program's own output may land inside them when the trace
/// went to stderr. Colour (SGR) sequences must be stripped by the caller.
/// </remarks>
internal static class StraceLineParser
{
    /// <summary>Digits a long always holds: longer runs are parsed by <see cref="Utf8Parser"/>, which refuses overflow.</summary>
    private const int MaxExactDigits = 18;

    private static readonly SearchValues<byte> s_numberLineBytes = SearchValues.Create("0123456789 \t"u8);

    /// <summary>Parses <paramref name="line"/> (without its newline).</summary>
    public static ParsedLine Parse(ReadOnlySpan<byte> line)
    {
        Parse(line, out ParsedLine rec);
        return rec;
    }

    /// <summary>
    /// Parses <paramref name="line"/> (without its newline) into <paramref name="rec"/>, the form for
    /// hot loops: the fields are written in place, not copied out of a returned struct (which stalls
    /// the load that copies it, as it spans several smaller stores).
    /// </summary>
    public static void Parse(ReadOnlySpan<byte> line, out ParsedLine rec)
    {
        rec = default;
        rec.Pid = -1;
        rec.Number = -1;
        if (line.IsEmpty)
        {
            rec.Kind = LineKind.Empty;
            return;
        }

        int p = 0;

        // Pid prefix: "[pid  1234] " or "[pid  1234<comm>] " (to a terminal), "1234  " or "1234<comm> " (-o).
        if (line.StartsWith("[pid "u8))
        {
            p = 5;
            p = SkipSpaces(line, p);
            int digits = CountDigits(line, p);
            if (digits == 0 || !Utf8Parser.TryParse(line.Slice(p, digits), out long pid, out _))
            {
                rec = ParsedLine.Malformed(p + 1, "a process id after '[pid'");
                return;
            }

            rec.Pid = pid;
            p += digits;
            if (p < line.Length && line[p] == (byte)'<')
            {
                int close = line[p..].IndexOf(">]"u8);
                if (close < 0)
                {
                    rec = ParsedLine.Malformed(p + 1, "'>]' after the process name");
                    return;
                }

                p += close + 1;
            }

            if (p >= line.Length || line[p] != (byte)']')
            {
                rec = ParsedLine.Malformed(p + 1, "']' after the process id");
                return;
            }

            p = SkipSpaces(line, p + 1);
        }
        else if (IsDigit(line[0]))
        {
            int digits = ParseDigits(line, out long pid);
            if (digits < line.Length && (line[digits] == (byte)' ' || line[digits] == (byte)'<'))
            {
                if (digits > MaxExactDigits && !Utf8Parser.TryParse(line[..digits], out pid, out _))
                {
                    rec = ParsedLine.Malformed(1, "a process id");
                    return;
                }

                rec.Pid = pid;
                p = digits;
                if (line[p] == (byte)'<')
                {
                    int close = line[p..].IndexOf("> "u8);
                    if (close < 0)
                    {
                        rec = ParsedLine.Malformed(p + 1, "'> ' after the process name");
                        return;
                    }

                    p += close + 1;
                }

                p = SkipSpaces(line, p);
            }
        }

        // Absolute time: "12:34:56[.123456] " (-t, -tt) or "1700000000.123456 " (-ttt).
        if (IsMicrosecondTime(line, p))
        {
            // The usual -tt shape, checked in one step; the loop below reads it the same way.
            p += MicrosecondTimeBytes;
            if (!SkipRelativeTime(line, ref p, ref rec))
            {
                return;
            }
        }
        else if (p < line.Length && IsDigit(line[p]))
        {
            int end = p;
            bool separated = false;
            while (end < line.Length)
            {
                byte b = line[end];
                if (IsDigit(b))
                {
                    end++;
                }
                else if (b is (byte)':' or (byte)'.')
                {
                    separated = true;
                    end++;
                }
                else
                {
                    break;
                }
            }

            if (end >= line.Length || line[end] != (byte)' ' || !separated)
            {
                rec = ParsedLine.Malformed(p + 1, "a timestamp or a system call name");
                return;
            }

            p = end + 1;

            // "-t -r" together: "12:34:56 (+     0.000123) ".
            if (!SkipRelativeTime(line, ref p, ref rec))
            {
                return;
            }
        }
        else if (p < line.Length && line[p] == (byte)' ')
        {
            // Relative time (-r) is right-aligned: "     0.000123 "; a -k stack frame is " > /lib/...".
            int q = SkipSpaces(line, p);
            if (q < line.Length && line[q] == (byte)'>')
            {
                rec.Kind = LineKind.Stack;
                return;
            }

            if (q < line.Length && line[q] == (byte)'<')
            {
                // " <unfinished ...>" after strace's own message cut the entry line in two.
                rec.Kind = LineKind.Continuation;
                return;
            }

            int end = q;
            while (end < line.Length && (IsDigit(line[end]) || line[end] == (byte)'.'))
            {
                end++;
            }

            if (end == q || end >= line.Length || line[end] != (byte)' ')
            {
                rec = ParsedLine.Malformed(q + 1, "a relative timestamp or a system call name");
                return;
            }

            p = end + 1;
        }

        // "[ 257] " (-n) and "[00007f3e3476b000] " (-i), in that order, both optional.
        while (p < line.Length && line[p] == (byte)'[')
        {
            if (line[p..].StartsWith("[ Process PID="u8))
            {
                rec.Kind = LineKind.Personality;
                return;
            }

            int close = line[p..].IndexOf((byte)']');
            if (close < 0)
            {
                rec = ParsedLine.Malformed(p + 1, "']' closing the bracketed field");
                return;
            }

            ReadOnlySpan<byte> field = line.Slice(p + 1, close - 1).Trim((byte)' ');
            if (field.Length > 0 && field.IndexOfAnyExcept((byte)'?') < 0)
            {
                // -n or -i had nothing to show ("[???]", "[????????????????] +++ exited"): the body still tells.
            }
            else if (field.Length is > 0 and <= 5 && CountDigits(field, 0) == field.Length)
            {
                rec.Number = Utf8Parser.TryParse(field, out int nr, out _) ? nr : -1;
            }
            else if (field.Length == 0 || !IsHex(field))
            {
                rec = ParsedLine.Malformed(p + 2, "a syscall number or an instruction pointer in brackets");
                return;
            }

            p += close + 1;
            if (p < line.Length && line[p] == (byte)' ')
            {
                p++;
            }
        }

        if (p >= line.Length)
        {
            rec = ParsedLine.Malformed(p + 1, "a system call after the line prefix");
            return;
        }

        ReadOnlySpan<byte> body = line[p..];
        switch (body[0])
        {
            case (byte)'-' when body.StartsWith("--- "u8):
                rec.Kind = LineKind.Signal;
                return;
            case (byte)'+' when body.StartsWith("+++ "u8):
                rec.Kind = LineKind.ThreadExit;
                return;
            case (byte)'<' when body.StartsWith("<... "u8):
                rec.Kind = LineKind.Resumed;
                return;
            case (byte)'>':
                rec.Kind = LineKind.Stack;
                return;
            case (byte)')' when p == 0:
                // The rest of an entry line that the program's own output interrupted (trace to stderr).
                rec.Kind = LineKind.Continuation;
                return;
            case (byte)'s' when body.StartsWith("strace: "u8):
                rec.Kind = LineKind.TracerMessage;
                ParseAttached(body, ref rec);
                return;
        }

        int nameLength = NameLength(body);

        if (nameLength == 0 || nameLength == body.Length || body[nameLength] != (byte)'(')
        {
            // A line of another format means the log mixes formats. Text without any strace prefix is
            // the traced program's own output, mixed in when strace wrote to stderr too: counted,
            // not a call.
            if (line.IndexOfAnyExcept(s_numberLineBytes) < 0)
            {
                rec = ParsedLine.Malformed(1, "a strace line (this line holds only numbers: are formats mixed?)");
                return;
            }

            if (NtTraceLineParser.Parse(line).Kind is LineKind.Syscall or LineKind.PreEntry)
            {
                rec = ParsedLine.Malformed(1, "a strace line (this is an NtTrace call: are formats mixed?)");
                return;
            }

            if (p == 0 && body.IndexOf(") = "u8) < 0)
            {
                rec.Kind = LineKind.Foreign;
                return;
            }

            // After a pid or time prefix, or with a call's ") = ", this is a damaged strace line.
            int col = nameLength == 0 ? p + 1 : p + nameLength + 1;
            rec = ParsedLine.Malformed(col, nameLength == 0
                ? "a system call name (lowercase letters, digits, '_')"
                : "'(' after the system call name");
            return;
        }

        rec.Kind = LineKind.Syscall;
        rec.Name = body[..nameLength];
        rec.NameColumn = p + 1;
        rec.Unfinished = body.EndsWith("<unfinished ...>"u8);
        if (body[^1] == (byte)'d')
        {
            rec.SplicedAttach = SplicedAttach(body);
        }
        if (rec.Name.StartsWith("syscall_0x"u8)
            && Utf8Parser.TryParse(rec.Name[10..], out uint hex, out int used, 'x')
            && used == rec.Name.Length - 10 && hex <= int.MaxValue)
        {
            rec.Number = (int)hex;
        }
    }

    /// <summary>
    /// The pid N when <paramref name="text"/> ends in strace's notice <c>strace: Process N attached</c>
    /// printed into an open call line (<c>strace -f</c> to stderr); 0 otherwise. A sample, from a
    /// real capture:
    /// <code>clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLDstrace: Process 8599 attached</code>
    /// the next line holds the rest of the call (<c>, child_tidptr=0x4c3690) = 8599</c>).
    /// </summary>
    public static long SplicedAttach(ReadOnlySpan<byte> text)
    {
        if (!text.EndsWith(" attached"u8))
        {
            return 0;
        }

        int at = text.LastIndexOf("strace: Process "u8);
        if (at <= 0)
        {
            // At the start of the line it is a notice of its own, not one inside a call.
            return 0;
        }

        ReadOnlySpan<byte> digits = text[(at + "strace: Process "u8.Length)..^" attached"u8.Length];
        return digits.Length is > 0 and <= MaxExactDigits && CountDigits(digits, 0) == digits.Length
            && Utf8Parser.TryParse(digits, out long pid, out _) && pid > 0
            ? pid
            : 0;
    }

    /// <summary>"strace: Process 1234 attached": remembers the pid so the first unprefixed lines can be given to the right process.</summary>
    private static void ParseAttached(ReadOnlySpan<byte> body, ref ParsedLine rec)
    {
        ReadOnlySpan<byte> rest = body["strace: "u8.Length..];
        if (rest.StartsWith("Process "u8) && rest.IndexOf(" attached"u8) > 0)
        {
            rest = rest["Process "u8.Length..];
            if (Utf8Parser.TryParse(rest, out long pid, out _))
            {
                rec.Pid = pid;
            }
        }
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    /// <summary>"HH:MM:SS.ffffff " (-tt), with its space.</summary>
    private const int MicrosecondTimeBytes = 16;

    /// <summary>Bit i set where "HH:MM:SS.ffffff " has a digit.</summary>
    private const uint MicrosecondTimeDigits = 0b0111_1110_1101_1011;

    /// <summary>True when <paramref name="line"/> holds "HH:MM:SS.ffffff " at <paramref name="p"/>.</summary>
    private static bool IsMicrosecondTime(ReadOnlySpan<byte> line, int p)
    {
        if (line.Length - p < MicrosecondTimeBytes)
        {
            return false;
        }

        ReadOnlySpan<byte> time = line.Slice(p, MicrosecondTimeBytes);
        Vector128<byte> v = Vector128.Create(time);
        uint digits = Vector128.LessThanOrEqual(v - Vector128.Create((byte)'0'), Vector128.Create((byte)9)).ExtractMostSignificantBits();
        return digits == MicrosecondTimeDigits
            && time[2] == (byte)':' && time[5] == (byte)':' && time[8] == (byte)'.' && time[15] == (byte)' ';
    }

    /// <summary>The length of the run of name bytes (lowercase letters, digits, '_') that starts <paramref name="body"/>.</summary>
    private static int NameLength(ReadOnlySpan<byte> body)
    {
        if (body.Length >= 16)
        {
            // Sixteen bytes classified at once: no loop, no mispredicted exit for names of every length.
            Vector128<byte> v = Vector128.Create(body);
            Vector128<byte> name = Vector128.LessThanOrEqual(v - Vector128.Create((byte)'a'), Vector128.Create((byte)('z' - 'a')))
                | Vector128.LessThanOrEqual(v - Vector128.Create((byte)'0'), Vector128.Create((byte)9))
                | Vector128.Equals(v, Vector128.Create((byte)'_'));
            uint other = ~name.ExtractMostSignificantBits() & 0xFFFF;
            if (other != 0)
            {
                return BitOperations.TrailingZeroCount(other);
            }
        }

        int length = 0;
        while (length < body.Length && IsNameByte(body[length]))
        {
            length++;
        }

        return length;
    }

    private static bool IsNameByte(byte b) => (uint)(b - 'a') <= 'z' - 'a' || (uint)(b - '0') <= 9 || b == (byte)'_';

    /// <summary>Counts the digits at the start of <paramref name="s"/> and, when there are at most <see cref="MaxExactDigits"/>, their value.</summary>
    private static int ParseDigits(ReadOnlySpan<byte> s, out long value)
    {
        long v = 0;
        int i = 0;
        while (i < s.Length && IsDigit(s[i]))
        {
            v = (v * 10) + (s[i] - '0');
            i++;
        }

        value = v;
        return i;
    }

    private static bool IsHex(ReadOnlySpan<byte> s)
    {
        foreach (byte b in s)
        {
            if (!(IsDigit(b) || (uint)((b | 0x20) - 'a') <= 5))
            {
                return false;
            }
        }

        return true;
    }

    private static int CountDigits(ReadOnlySpan<byte> s, int from)
    {
        int i = from;
        while (i < s.Length && IsDigit(s[i]))
        {
            i++;
        }

        return i - from;
    }

    /// <summary>Skips "(+     0.000123) " after an absolute time (-t -r together); false, with <paramref name="rec"/> malformed, when it is not closed.</summary>
    private static bool SkipRelativeTime(ReadOnlySpan<byte> line, ref int p, ref ParsedLine rec)
    {
        if (!line[p..].StartsWith("(+"u8))
        {
            return true;
        }

        int close = line[p..].IndexOf((byte)')');
        if (close < 0)
        {
            rec = ParsedLine.Malformed(p + 1, "')' closing the relative time");
            return false;
        }

        p = SkipSpaces(line, p + close + 1);
        return true;
    }

    private static int SkipSpaces(ReadOnlySpan<byte> s, int from)
    {
        int i = from;
        while (i < s.Length && s[i] == (byte)' ')
        {
            i++;
        }

        return i;
    }
}

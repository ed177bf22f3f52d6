using System.Buffers;
using System.Buffers.Text;

namespace Sysprint.Parsing;

/// <summary>
/// Parses one line of NtTrace output (Windows native API calls):
/// <c>[TIME[ DELTA]: ][[PID/TID] ]NtName(Arg=Val, ...) => RET</c>.
/// </summary>
/// <remarks>
/// Captured with e.g. <c>NtTrace -time -pid -tid cmd</c>; a sample line from the project's own
/// published trace (an older build, note <c>==</c>):
/// <code>NtOpenFile(FileHandle=0x12fb38 [0x14], DesiredAccess==FILE_EXECUTE|SYNCHRONIZE, ObjectAttributes="\??\C:\WWW\NtTrace\", IoStatusBlock=0x0012FAE4 [0/1], ShareAccess=3, OpenOptions=0x21) => 0</code>
/// A call counts at its return line (<c>=&gt;</c>); a <c>-pre</c> entry line ending in <c>...</c>
/// does not. Process, thread and DLL notes and the traced program's console output are not calls.
/// </remarks>
internal static class NtTraceLineParser
{
    private static readonly SearchValues<byte> s_identifierBytes =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"u8);

    public static ParsedLine Parse(ReadOnlySpan<byte> line)
    {
        var rec = new ParsedLine { Pid = -1, Number = -1 };
        ReadOnlySpan<byte> trimmed = line.TrimEnd((byte)' ');
        if (trimmed.IsEmpty)
        {
            rec.Kind = LineKind.Empty;
            return rec;
        }

        int p = 0;

        // "-time" "12:34:56.789", "-delta" "+0.015", either or both, then ": ".
        if (IsDigit(line[0]) || line[0] == (byte)'+')
        {
            int end = 0;
            while (end < line.Length && (IsDigit(line[end]) || line[end] is (byte)':' or (byte)'.' or (byte)'+' or (byte)' '))
            {
                if (line[end] == (byte)':' && end + 1 < line.Length && line[end + 1] == (byte)' ')
                {
                    break;
                }

                end++;
            }

            if (end + 1 < line.Length && line[end] == (byte)':' && line[end + 1] == (byte)' ')
            {
                p = end + 2;
            }
        }

        // "-pid"/"-tid": "[2428/4460] ", "[ 884/5520] ", "[2428] ".
        if (p < line.Length && line[p] == (byte)'[')
        {
            int close = line[p..].IndexOf((byte)']');
            if (close > 0)
            {
                ReadOnlySpan<byte> ids = line.Slice(p + 1, close - 1);
                int slash = ids.IndexOf((byte)'/');
                ReadOnlySpan<byte> key = (slash >= 0 ? ids[(slash + 1)..] : ids).Trim((byte)' ');
                if (key.Length > 0 && Utf8Parser.TryParse(key, out long id, out int used) && used == key.Length)
                {
                    rec.Pid = id;
                    p += close + 1;
                    if (p < line.Length && line[p] == (byte)' ')
                    {
                        p++;
                    }
                }
            }
        }

        ReadOnlySpan<byte> body = trimmed[Math.Min(p, trimmed.Length)..];
        if (body.StartsWith("Thread "u8) || body.StartsWith("Process "u8))
        {
            int exit = body.IndexOf(" exit code"u8);
            if (exit > 0)
            {
                // "Thread exit code: 0" names no id: the first space is the one before "exit code".
                int space = body.IndexOf((byte)' ');
                if (space < exit && Utf8Parser.TryParse(body[(space + 1)..exit], out long id, out _))
                {
                    rec.Pid = id;
                }

                rec.Kind = LineKind.ThreadExit;
                return rec;
            }
        }

        int name = FindCall(body);
        if (name < 0)
        {
            rec.Kind = LineKind.Info;
            return rec;
        }

        if (name > 0 && rec.Pid < 0)
        {
            // Console output landed before the prefix: "C:\WWW>12:34:56.794: [2428/4460] NtWriteFile(...)".
            rec.Pid = ThreadOfPrefix(body[..name]);
        }

        ReadOnlySpan<byte> call = body[name..];
        int nameLength = call.IndexOf((byte)'(');
        rec.Name = call[..nameLength];
        rec.NameColumn = Math.Min(p, trimmed.Length) + name + 1;
        if (call.IndexOf(") => "u8) > 0 || call.IndexOf(" => "u8) > 0)
        {
            rec.Kind = LineKind.Syscall;
        }
        else if (call.EndsWith("..."u8))
        {
            rec.Kind = LineKind.PreEntry;
        }
        else
        {
            return ParsedLine.Malformed(p + name + call.Length + 1, "' => ' and the call's return value");
        }

        return rec;
    }

    /// <summary>The thread of a <c>[PID/TID] </c> or <c>[PID] </c> field ending <paramref name="before"/>, or -1.</summary>
    private static long ThreadOfPrefix(ReadOnlySpan<byte> before)
    {
        ReadOnlySpan<byte> text = before.TrimEnd((byte)' ');
        if (text.IsEmpty || text[^1] != (byte)']')
        {
            return -1;
        }

        int open = text.LastIndexOf((byte)'[');
        if (open < 0)
        {
            return -1;
        }

        ReadOnlySpan<byte> ids = text[(open + 1)..^1];
        int slash = ids.IndexOf((byte)'/');
        ReadOnlySpan<byte> key = (slash >= 0 ? ids[(slash + 1)..] : ids).Trim((byte)' ');
        return key.Length > 0 && Utf8Parser.TryParse(key, out long id, out int used) && used == key.Length ? id : -1;
    }

    /// <summary>
    /// Where the call's name starts: at the body's start, or after console output that landed on
    /// the same line (<c>C:\WWW&gt;NtWriteFile(...)</c>); -1 when the line holds no call.
    /// </summary>
    private static int FindCall(ReadOnlySpan<byte> body)
    {
        int identifier = body.IndexOfAnyExcept(s_identifierBytes);
        if (identifier > 0 && body[identifier] == (byte)'(' && IsLetter(body[0]))
        {
            return IsNote(body) ? -1 : 0;
        }

        // Console output first: the call is the first "Nt"/"Zw" identifier followed by '('.
        for (int i = 1; i < body.Length - 2; i++)
        {
            if ((body[i] == (byte)'N' && body[i + 1] == (byte)'t') || (body[i] == (byte)'Z' && body[i + 1] == (byte)'w'))
            {
                if (s_identifierBytes.Contains(body[i - 1]))
                {
                    continue;
                }

                int end = body[i..].IndexOfAnyExcept(s_identifierBytes);
                if (end > 2 && body[i + end] == (byte)'(' && body[i..].IndexOf(" => "u8) > 0)
                {
                    return i;
                }
            }
        }

        return -1;
    }

    /// <summary>NtTrace's own notes that happen to look like a call (none known yet besides these).</summary>
    private static bool IsNote(ReadOnlySpan<byte> body) =>
        body.StartsWith("Process("u8) || body.StartsWith("Thread("u8);

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static bool IsLetter(byte b) => (uint)((b | 0x20) - 'a') <= 25;
}

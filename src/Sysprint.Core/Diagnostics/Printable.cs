using System.Text;

namespace Sysprint.Diagnostics;

/// <summary>Renders bytes from a log for a message: printable ASCII as is, anything else as <c>0x1B</c>.</summary>
public static class Printable
{
    /// <summary>At most <paramref name="max"/> bytes of <paramref name="bytes"/>, quoted, with an ellipsis when cut.</summary>
    public static string Quote(ReadOnlySpan<byte> bytes, int max = 40)
    {
        var sb = new StringBuilder(max + 8);
        sb.Append('\'');
        int n = Math.Min(bytes.Length, max);
        for (int i = 0; i < n; i++)
        {
            byte b = bytes[i];
            if (b >= 0x20 && b < 0x7F)
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append("0x").Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        sb.Append('\'');
        if (bytes.Length > max)
        {
            sb.Append("...");
        }

        return sb.ToString();
    }

    /// <summary>
    /// Escapes text for a terminal line, a syslog message or a JSON consumer: control characters
    /// (C0, DEL, C1) become <c>\xNN</c>; Unicode line and paragraph separators, direction controls
    /// (which reorder what a terminal shows) and unpaired surrogates become <c>\uNNNN</c>. So a log
    /// cannot inject escapes, line breaks or text that displays as something else.
    /// </summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int first = 0;
        while (first < text.Length && !IsUnsafe(text, first))
        {
            first++;
        }

        if (first == text.Length)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length + 8);
        sb.Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (!IsUnsafe(text, i))
            {
                sb.Append(c);
            }
            else if (c <= '\u00FF')
            {
                sb.Append("\\x").Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }

    private static bool IsUnsafe(string text, int i)
    {
        char c = text[i];
        if (char.IsHighSurrogate(c))
        {
            return i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]);
        }

        if (char.IsLowSurrogate(c))
        {
            return i == 0 || !char.IsHighSurrogate(text[i - 1]);
        }

        return char.IsControl(c)
            || c is '\u2028' or '\u2029' or '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
    }
}

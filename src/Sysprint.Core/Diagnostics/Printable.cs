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

    /// <summary>Escapes text for a terminal line: control characters become <c>\xNN</c>, so a log cannot inject escapes or line breaks.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        bool clean = true;
        foreach (char c in text)
        {
            if (char.IsControl(c))
            {
                clean = false;
                break;
            }
        }

        if (clean)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            if (char.IsControl(c))
            {
                sb.Append("\\x").Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }
}

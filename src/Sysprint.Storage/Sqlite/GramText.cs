using System.Globalization;

namespace Sysprint.Storage.Sqlite;

/// <summary>Reads the stored text of a gram (<see cref="Model.Fingerprint.FormatGram"/>: <c>257 0 3</c>) without allocating.</summary>
internal static class GramText
{
    /// <summary>
    /// Parses numbers separated by single spaces into <paramref name="gram"/>. Returns how many were
    /// read, or -1 when the text is malformed or holds more numbers than <paramref name="gram"/> fits.
    /// </summary>
    public static int Parse(ReadOnlySpan<char> text, Span<int> gram)
    {
        int count = 0;
        while (!text.IsEmpty)
        {
            int space = text.IndexOf(' ');
            ReadOnlySpan<char> number = space < 0 ? text : text[..space];
            if (count == gram.Length
                || !int.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out gram[count]))
            {
                return -1;
            }

            count++;
            if (space < 0)
            {
                return count;
            }

            text = text[(space + 1)..];
            if (text.IsEmpty)
            {
                // A trailing space is not FormatGram's output.
                return -1;
            }
        }

        return -1;
    }
}

namespace Sysprint.Parsing;

/// <summary>Removes the colour (SGR) sequences <c>ESC [ digits ; ... m</c> that strace 7 and later may print.</summary>
internal static class Sgr
{
    /// <summary>The line without SGR sequences, written into <paramref name="scratch"/> (at least as long as the line).</summary>
    public static ReadOnlySpan<byte> Strip(ReadOnlySpan<byte> line, Span<byte> scratch)
    {
        int n = 0;
        for (int i = 0; i < line.Length; i++)
        {
            if (line[i] == 0x1B && i + 1 < line.Length && line[i + 1] == (byte)'[')
            {
                int end = i + 2;
                while (end < line.Length && ((uint)(line[end] - '0') <= 9 || line[end] == (byte)';'))
                {
                    end++;
                }

                if (end < line.Length && line[end] == (byte)'m')
                {
                    i = end;
                    continue;
                }
            }

            scratch[n++] = line[i];
        }

        return scratch[..n];
    }
}

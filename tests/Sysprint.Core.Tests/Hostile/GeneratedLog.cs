namespace Sysprint.Core.Tests.Hostile;

/// <summary>Writes line <paramref name="index"/> (0-based, with its newline) into <paramref name="destination"/>; returns its length.</summary>
internal delegate int LineWriter(long index, Span<byte> destination);

/// <summary>
/// A read-only stream of <c>count</c> generated lines, made as they are read: a log of millions of
/// lines without holding it in memory, so a memory bound measures the reader alone.
/// </summary>
internal sealed class GeneratedLog(long count, LineWriter writer) : ReadOnlyStream
{
    private readonly byte[] _line = new byte[4096];
    private long _next;
    private int _lineLength;
    private int _lineOffset;

    public override int Read(Span<byte> buffer)
    {
        int written = 0;
        while (written < buffer.Length)
        {
            if (_lineOffset == _lineLength)
            {
                if (_next == count)
                {
                    break;
                }

                _lineLength = writer(_next++, _line);
                _lineOffset = 0;
            }

            int n = Math.Min(buffer.Length - written, _lineLength - _lineOffset);
            _line.AsSpan(_lineOffset, n).CopyTo(buffer[written..]);
            _lineOffset += n;
            written += n;
        }

        return written;
    }
}

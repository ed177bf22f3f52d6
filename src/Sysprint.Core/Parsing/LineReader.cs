using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sysprint.Parsing;

/// <summary>
/// Reads a stream as lines of bytes through one pooled buffer, in constant memory. A returned
/// line excludes its <c>\n</c> (and a <c>\r</c> before it) and is valid until the next call.
/// Says whether a line holds a control byte (<see cref="LineHasControlBytes"/>), found by one scan
/// over each block read rather than one per line: text logs almost never hold one.
/// </summary>
internal sealed class LineReader : IDisposable
{
    public const int DefaultBufferSize = 256 * 1024;

    /// <summary>
    /// Bytes no text log holds, and ESC (colour sequences): every control byte but tab and newline,
    /// and DEL. A carriage return counts unless it ends the line (CRLF): a bare one inside a line
    /// would otherwise hide what follows it.
    /// </summary>
    internal static readonly SearchValues<byte> ControlBytes = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 127]);

    private const int NoControlByte = int.MaxValue;

    /// <summary>Newlines are found a block at a time, as a bit mask, rather than by one search per line.</summary>
    private const int BlockBytes = 64;

    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _eof;
    private bool _pooled = true;

    // Bytes before _masked were searched for newlines; those of the last 64-byte block not yet
    // returned as line ends are the set bits of _newlines (bit i: byte _masked - 64 + i).
    private int _masked;
    private ulong _newlines;

    // [_start, _scanned) was searched for control bytes; the first one there is at _control, or
    // there is none (NoControlByte).
    private int _scanned;
    private int _control = NoControlByte;

    public LineReader(Stream stream, int maxLineBytes, int bufferSize = DefaultBufferSize)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 1);
        _stream = stream;
        _maxLineBytes = maxLineBytes;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Min(bufferSize, maxLineBytes + 2));
        if (bufferSize < _buffer.Length)
        {
            // Tests shrink the buffer to exercise boundaries; honour the exact size asked for.
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = new byte[bufferSize];
            _pooled = false;
        }
    }

    /// <summary>Lines returned so far: the number of the last line returned.</summary>
    public long LineNumber { get; private set; }

    /// <summary>Bytes consumed so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>False when the last line returned was cut by the end of the input rather than a newline.</summary>
    public bool LastLineTerminated { get; private set; } = true;

    /// <summary>
    /// True when the last line returned holds a byte of <see cref="ControlBytes"/> (ESC included);
    /// when false, it holds none.
    /// </summary>
    public bool LineHasControlBytes { get; private set; }

    /// <summary>
    /// The bytes at the start of the input (up to <paramref name="bytes"/>) without consuming them,
    /// for format detection. Call before the first <see cref="TryReadLine"/>.
    /// </summary>
    public ReadOnlySpan<byte> Peek(int bytes)
    {
        while (_end - _start < bytes && !_eof)
        {
            if (_end == _buffer.Length && !MakeRoom())
            {
                break;
            }

            Fill();
        }

        return _buffer.AsSpan(_start, Math.Min(bytes, _end - _start));
    }

    /// <summary>Reads the next line; false at the end of the input.</summary>
    /// <exception cref="LineTooLongException">A line is longer than the limit.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        // The common case inline in the caller's loop: the next newline is in the current block's
        // mask, the line is within the limit and no control byte is pending.
        ulong newlines = _newlines;
        if (newlines != 0)
        {
            int nl = _masked - BlockBytes + BitOperations.TrailingZeroCount(newlines);
            int length = nl - _start;
            if (length <= _maxLineBytes && _control == NoControlByte && _scanned >= nl)
            {
                _newlines = newlines & (newlines - 1);
                line = Trim(_buffer.AsSpan(_start, length));
                LineHasControlBytes = false;
                BytesRead += length + 1;
                _start = nl + 1;
                LineNumber++;
                LastLineTerminated = true;
                return true;
            }
        }

        return TryReadLineSlow(out line);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryReadLineSlow(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            int nl;
            if (_newlines != 0)
            {
                nl = _masked - BlockBytes + BitOperations.TrailingZeroCount(_newlines);
                _newlines &= _newlines - 1;
            }
            else if (_end - _masked >= BlockBytes)
            {
                _newlines = Masks(_buffer.AsSpan(_masked, BlockBytes), out ulong controls);
                if (_scanned == _masked && _control == NoControlByte)
                {
                    // The control-byte search goes on in step with the newlines, on bytes just loaded.
                    if (controls != 0)
                    {
                        _control = _masked + BitOperations.TrailingZeroCount(controls);
                    }

                    _scanned = _masked + BlockBytes;
                }

                _masked += BlockBytes;
                continue;
            }
            else
            {
                // Fewer bytes left than a block: search them directly.
                nl = _buffer.AsSpan(_masked, _end - _masked).IndexOf((byte)'\n');
                if (nl < 0)
                {
                    _masked = _end;
                    if (!MoreInput())
                    {
                        return LastLine(out line);
                    }

                    continue;
                }

                nl += _masked;
                _masked = nl + 1;
            }

            int length = nl - _start;
            if (length > _maxLineBytes)
            {
                int contentLength = _buffer[nl - 1] == (byte)'\r' ? length - 1 : length;
                if (contentLength > _maxLineBytes)
                {
                    throw new LineTooLongException(LineNumber + 1, _maxLineBytes);
                }
            }

            line = Trim(_buffer.AsSpan(_start, length));
            LineHasControlBytes = HasControlByteBefore(_start + line.Length);
            BytesRead += length + 1;
            _start = nl + 1;
            LineNumber++;
            LastLineTerminated = true;
            return true;
        }
    }

    public void Dispose()
    {
        ReturnBuffer();
        _buffer = [];
    }

    private void ReturnBuffer()
    {
        if (_pooled)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
    }

    /// <summary>
    /// Whether a control byte lies in [_start, <paramref name="end"/>), the line about to be
    /// returned. Searches all the bytes read so far at once, and again only past a line that held one.
    /// </summary>
    private bool HasControlByteBefore(int end)
    {
        if (_control < _start)
        {
            // The control byte found belonged to an earlier line: search on from this one.
            _control = NoControlByte;
            _scanned = _start;
        }

        if (_control == NoControlByte && _scanned < end)
        {
            // Bytes the block masks did not cover: a short tail, or the rest of the blocks after a
            // line that held a control byte.
            int from = Math.Max(_scanned, _start);
            int found = _buffer.AsSpan(from, _masked - from).IndexOfAny(ControlBytes);
            _scanned = _masked;
            if (found >= 0)
            {
                _control = from + found;
            }
        }

        return _control < end;
    }

    /// <summary>
    /// Reads more input when no newline is buffered; false at the end of the input.
    /// </summary>
    private bool MoreInput()
    {
        // One byte of slack: the line may still end in "\r\n", and the '\r' is not content.
        if (_end - _start > _maxLineBytes + 1)
        {
            throw new LineTooLongException(LineNumber + 1, _maxLineBytes);
        }

        if (_eof)
        {
            return false;
        }

        if (_end == _buffer.Length)
        {
            MakeRoom();
        }

        Fill();
        return true;
    }

    /// <summary>The unterminated rest of the input as a last line, if any.</summary>
    private bool LastLine(out ReadOnlySpan<byte> line)
    {
        if (_end > _start)
        {
            line = Trim(_buffer.AsSpan(_start, _end - _start));
            LineHasControlBytes = HasControlByteBefore(_start + line.Length);
            BytesRead += _end - _start;
            _start = _end;
            LineNumber++;
            LastLineTerminated = false;
            return true;
        }

        line = default;
        return false;
    }

    /// <summary>
    /// Bit i of the result set when byte i of the 64-byte block is a newline; bit i of
    /// <paramref name="controls"/> when it is one of <see cref="ControlBytes"/>.
    /// </summary>
    // Compiled optimised at once: ReadyToRun code cannot use Vector512, and the tier-0 code the
    // method would start in is many times slower than the loop it replaces.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ulong Masks(ReadOnlySpan<byte> block, out ulong controls)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<byte> v = Vector512.Create(block);
            Vector512<byte> newline = Vector512.Equals(v, Vector512.Create((byte)'\n'));
            Vector512<byte> allowed = newline | Vector512.Equals(v, Vector512.Create((byte)'\t'));
            Vector512<byte> control = Vector512.AndNot(Vector512.LessThan(v, Vector512.Create((byte)0x20)), allowed)
                | Vector512.Equals(v, Vector512.Create((byte)0x7F));
            controls = control.ExtractMostSignificantBits();
            return newline.ExtractMostSignificantBits();
        }

        ulong newlines = 0;
        controls = 0;
        for (int i = 0; i < BlockBytes; i += 16)
        {
            Vector128<byte> v = Vector128.Create(block[i..]);
            Vector128<byte> newline = Vector128.Equals(v, Vector128.Create((byte)'\n'));
            Vector128<byte> allowed = newline | Vector128.Equals(v, Vector128.Create((byte)'\t'));
            Vector128<byte> control = Vector128.AndNot(Vector128.LessThan(v, Vector128.Create((byte)0x20)), allowed)
                | Vector128.Equals(v, Vector128.Create((byte)0x7F));
            newlines |= (ulong)newline.ExtractMostSignificantBits() << i;
            controls |= (ulong)control.ExtractMostSignificantBits() << i;
        }

        return newlines;
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> line) =>
        line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;

    private void Fill()
    {
        int n = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (n == 0)
        {
            _eof = true;
        }

        _end += n;
    }

    /// <summary>Moves the unread bytes to the front, growing the buffer when a line fills it. False when it cannot grow.</summary>
    private bool MakeRoom()
    {
        int unread = _end - _start;
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, unread);
            _masked = Math.Max(_masked - _start, 0);
            _scanned = Math.Max(_scanned - _start, 0);
            if (_control != NoControlByte)
            {
                _control -= _start;
            }

            _start = 0;
            _end = unread;
            return true;
        }

        if (_buffer.Length > _maxLineBytes + 1)
        {
            return false;
        }

        byte[] grown = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, _maxLineBytes + 2));
        Buffer.BlockCopy(_buffer, 0, grown, 0, unread);
        ReturnBuffer();
        _buffer = grown;
        _pooled = true;
        return true;
    }
}

using System.Buffers.Text;
using System.Text;

namespace Sysprint.Agent.Tracing.Native;

/// <summary>
/// Writes what the native tracer saw as strace's <c>-f -ttt</c> output, so the logs it keeps go
/// through the same readers as strace's (<c>strace -f -ttt -o LOG</c>). A sample (two stops per
/// call: return values; with one stop per call, failing closed, they are <c>?</c> but for denied calls):
/// <code>
/// 4242  1796236785.445123 execve("/usr/bin/cat", ["cat", "/etc/hostname"], 0x0 /* 47 vars */) = 0
/// 4242  1796236785.457002 openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3
/// 4242  1796236785.457476 close(3) = 0
/// 4242  1796236785.458414 wait4( &lt;unfinished ...&gt;
/// 4243  1796236785.458487 exit_group() = ?
/// 4243  1796236785.458490 +++ exited with 0 +++
/// 4242  1796236785.458512 &lt;... wait4 resumed&gt;) = 4243
/// 4242  1796236785.458530 --- SIGCHLD {si_signo=SIGCHLD} ---
/// </code>
/// The arguments of the calls <see cref="CallArguments"/> lists are decoded (paths, descriptors,
/// open flags, socket addresses, execve's vectors); other calls show none. A call interrupted by
/// another thread's line is split into <c>&lt;unfinished ...&gt;</c> and <c>&lt;... resumed&gt;</c>
/// as strace splits it. Line numbers are counted even when nothing is written, so an alert's line
/// is the line the call has (or would have) in the log.
/// </summary>
/// <remarks>Not thread-safe: the tracer's thread only. Allocates nothing per call.</remarks>
internal sealed class TraceLogWriter : IDisposable
{
    private const int BufferBytes = 1 << 16;

    /// <summary>Room kept for one line's fixed parts (prefix, name, return value).</summary>
    private const int LineReserve = 512;

    private static readonly long s_unixEpochTicks = DateTime.UnixEpoch.Ticks;

    private readonly Stream? _output;
    private readonly byte[] _buffer;
    private readonly byte[]?[] _errors = new byte[]?[4096];
    private int _used;
    private int _pendingThread;

    /// <param name="output">Where to write, or null to count lines only.</param>
    public TraceLogWriter(Stream? output)
    {
        _output = output;
        _buffer = output is null ? [] : new byte[BufferBytes];
    }

    /// <summary>Lines of the log so far.</summary>
    public long Lines { get; private set; }

    public bool Writes => _output is not null;

    /// <summary>
    /// A call's entry: <c>PID TIME name(ARGS</c>, finished by <see cref="EndCall"/> or, if another line
    /// comes first, by <c> &lt;unfinished ...&gt;</c>. Returns the entry's line number.
    /// </summary>
    public long BeginCall(int thread, byte[] name, ReadOnlySpan<byte> arguments = default)
    {
        ClosePending();
        Lines++;
        _pendingThread = thread;
        if (_output is not null)
        {
            Reserve(LineReserve + arguments.Length);
            Prefix(thread);
            Append(name);
            Append((byte)'(');
            Append(arguments);
        }

        return Lines;
    }

    /// <summary>
    /// A call's return: <c>) = 3</c> on its entry line, or a <c>&lt;... name resumed&gt;) = 3</c> line;
    /// <c>) = ?</c> when <paramref name="result"/> is null (not seen: the tracer stopped at the entry only).
    /// </summary>
    public void EndCall(int thread, byte[] name, long? result)
    {
        if (_pendingThread != thread)
        {
            ClosePending();
            Lines++;
            if (_output is not null)
            {
                Reserve(LineReserve);
                Prefix(thread);
                Append("<... "u8);
                Append(name);
                Append(" resumed>"u8);
            }
        }

        _pendingThread = 0;
        if (_output is not null)
        {
            Reserve(LineReserve);
            Append(") = "u8);
            if (result is not { } value)
            {
                Append((byte)'?');
            }
            else if (value < 0 && value >= -4095)
            {
                Append(ErrorText((int)-value));
            }
            else
            {
                Number(value);
            }

            Append((byte)'\n');
        }
    }

    /// <summary><c>--- SIGCHLD {si_signo=SIGCHLD} ---</c>.</summary>
    public void Signal(int thread, int signal)
    {
        ClosePending();
        Lines++;
        if (_output is not null)
        {
            Reserve(LineReserve);
            Prefix(thread);
            Append("--- "u8);
            string name = LinuxNames.Signal(signal);
            Ascii(name);
            Append(" {si_signo="u8);
            Ascii(name);
            Append("} ---\n"u8);
        }
    }

    /// <summary><c>+++ exited with 0 +++</c> or <c>+++ killed by SIGKILL +++</c>; a call the thread left unfinished ends with <c>= ?</c>.</summary>
    public void ThreadGone(int thread, int? exitStatus, int signal, bool coreDumped)
    {
        if (_pendingThread == thread)
        {
            _pendingThread = 0;
            if (_output is not null)
            {
                Reserve(LineReserve);
                Append(") = ?\n"u8);
            }
        }

        ClosePending();
        Lines++;
        if (_output is not null)
        {
            Reserve(LineReserve);
            Prefix(thread);
            if (exitStatus is { } status)
            {
                Append("+++ exited with "u8);
                Number(status);
            }
            else
            {
                Append("+++ killed by "u8);
                Ascii(LinuxNames.Signal(signal));
                if (coreDumped)
                {
                    Append(" (core dumped)"u8);
                }
            }

            Append(" +++\n"u8);
        }
    }

    /// <summary>Writes what is buffered.</summary>
    public void Flush()
    {
        if (_output is not null && _used > 0)
        {
            _output.Write(_buffer, 0, _used);
            _used = 0;
            _output.Flush();
        }
    }

    public void Dispose()
    {
        ClosePending();
        Flush();
        _output?.Dispose();
    }

    /// <summary>Another line is about to be written: an entry still open becomes <c>name(ARGS &lt;unfinished ...&gt;</c>.</summary>
    private void ClosePending()
    {
        if (_pendingThread == 0)
        {
            return;
        }

        _pendingThread = 0;
        if (_output is not null)
        {
            Reserve(LineReserve);
            Append(" <unfinished ...>\n"u8);
        }
    }

    private void Prefix(int thread)
    {
        // "%-5u " as strace -f -o writes the pid, then -ttt's seconds.microseconds.
        int start = _used;
        Number(thread);
        while (_used - start < 5)
        {
            _buffer[_used++] = (byte)' ';
        }

        _buffer[_used++] = (byte)' ';
        long micros = (DateTime.UtcNow.Ticks - s_unixEpochTicks) / 10;
        Number(micros / 1_000_000);
        _buffer[_used++] = (byte)'.';
        Utf8Formatter.TryFormat(micros % 1_000_000, _buffer.AsSpan(_used), out int written, new System.Buffers.StandardFormat('D', 6));
        _used += written;
        _buffer[_used++] = (byte)' ';
    }

    private byte[] ErrorText(int code) => _errors[code] ??= Encoding.UTF8.GetBytes(LinuxNames.ErrorReturn(code));

    private void Number(long value)
    {
        Utf8Formatter.TryFormat(value, _buffer.AsSpan(_used), out int written);
        _used += written;
    }

    private void Ascii(string text)
    {
        foreach (char c in text)
        {
            _buffer[_used++] = (byte)c;
        }
    }

    private void Append(byte value) => _buffer[_used++] = value;

    private void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer.AsSpan(_used));
        _used += bytes.Length;
    }

    private void Reserve(int bytes)
    {
        if (_used + bytes > _buffer.Length)
        {
            _output!.Write(_buffer, 0, _used);
            _used = 0;
        }
    }
}

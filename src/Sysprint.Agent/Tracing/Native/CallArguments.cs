using System.Buffers.Text;
using System.Net;

namespace Sysprint.Agent.Tracing.Native;

/// <summary>
/// Decodes the arguments of the calls that say most about what a program does, as strace prints
/// them, for the log the native tracer keeps (x86_64 calls, read at the call's entry):
/// <code>
/// openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC)
/// newfstatat(3, "", 0x7ffd6c1e0a40, AT_EMPTY_PATH)
/// execve("/usr/bin/cat", ["cat", "/etc/hostname"], 0x55d0c0a1e2c0 /* 12 vars */)
/// connect(3, {sa_family=AF_INET, sin_port=htons(4444), sin_addr=inet_addr("127.0.0.1")}, 16)
/// write(1, "hello\n", 6)
/// read(3, 0x7ffd6c1e0b50, 832)
/// </code>
/// Paths, argument vectors, socket addresses and the first 32 bytes a write writes are read from the
/// tracee's memory (process_vm_readv); file descriptors, flags and modes from the registers. A call
/// not listed here is logged with its name only (<c>getpid()</c>): the readers use names only.
/// Memory that cannot be read is shown as its address, as strace does.
/// </summary>
/// <remarks>Writes into a caller's buffer; allocates nothing but for an IPv6 address.</remarks>
internal static unsafe class CallArguments
{
    /// <summary>The most bytes of arguments written for one call; longer ones end with <c>...</c>.</summary>
    public const int MaxBytes = 8192;

    private const int AtFdCwd = -100;
    private const int MaxString = 4096;
    private const int MaxWritten = 32;
    private const int MaxVector = 64;

    private enum Kind : byte
    {
        None,
        Fd,
        Path,
        OpenFlags,
        Mode,
        AccessMode,
        AtFlags,
        Hex,
        Int,
        Buffer,
        Sockaddr,
        SocketDomain,
        SocketType,
        Argv,
        Envp,
        DirFd,
    }

    private static readonly Dictionary<int, Kind[]> s_calls = new()
    {
        [0] = [Kind.Fd, Kind.Hex, Kind.Int], // read
        [1] = [Kind.Fd, Kind.Buffer, Kind.Int], // write
        [2] = [Kind.Path, Kind.OpenFlags, Kind.Mode], // open
        [3] = [Kind.Fd], // close
        [4] = [Kind.Path, Kind.Hex], // stat
        [5] = [Kind.Fd, Kind.Hex], // fstat
        [6] = [Kind.Path, Kind.Hex], // lstat
        [8] = [Kind.Fd, Kind.Int, Kind.Int], // lseek
        [16] = [Kind.Fd, Kind.Hex, Kind.Hex], // ioctl
        [17] = [Kind.Fd, Kind.Hex, Kind.Int, Kind.Int], // pread64
        [18] = [Kind.Fd, Kind.Buffer, Kind.Int, Kind.Int], // pwrite64
        [21] = [Kind.Path, Kind.AccessMode], // access
        [32] = [Kind.Fd], // dup
        [33] = [Kind.Fd, Kind.Fd], // dup2
        [41] = [Kind.SocketDomain, Kind.SocketType, Kind.Int], // socket
        [42] = [Kind.Fd, Kind.Sockaddr, Kind.Int], // connect
        [44] = [Kind.Fd, Kind.Buffer, Kind.Int, Kind.Hex, Kind.Sockaddr, Kind.Int], // sendto
        [49] = [Kind.Fd, Kind.Sockaddr, Kind.Int], // bind
        [59] = [Kind.Path, Kind.Argv, Kind.Envp], // execve
        [72] = [Kind.Fd, Kind.Int, Kind.Hex], // fcntl
        [78] = [Kind.Fd, Kind.Hex, Kind.Int], // getdents
        [80] = [Kind.Path], // chdir
        [81] = [Kind.Fd], // fchdir
        [82] = [Kind.Path, Kind.Path], // rename
        [83] = [Kind.Path, Kind.Mode], // mkdir
        [84] = [Kind.Path], // rmdir
        [85] = [Kind.Path, Kind.Mode], // creat
        [86] = [Kind.Path, Kind.Path], // link
        [87] = [Kind.Path], // unlink
        [88] = [Kind.Path, Kind.Path], // symlink
        [89] = [Kind.Path, Kind.Hex, Kind.Int], // readlink
        [90] = [Kind.Path, Kind.Mode], // chmod
        [91] = [Kind.Fd, Kind.Mode], // fchmod
        [92] = [Kind.Path, Kind.Int, Kind.Int], // chown
        [161] = [Kind.Path], // chroot
        [217] = [Kind.Fd, Kind.Hex, Kind.Int], // getdents64
        [257] = [Kind.DirFd, Kind.Path, Kind.OpenFlags, Kind.Mode], // openat
        [258] = [Kind.DirFd, Kind.Path, Kind.Mode], // mkdirat
        [262] = [Kind.DirFd, Kind.Path, Kind.Hex, Kind.AtFlags], // newfstatat
        [263] = [Kind.DirFd, Kind.Path, Kind.AtFlags], // unlinkat
        [264] = [Kind.DirFd, Kind.Path, Kind.DirFd, Kind.Path], // renameat
        [266] = [Kind.Path, Kind.DirFd, Kind.Path], // symlinkat
        [267] = [Kind.DirFd, Kind.Path, Kind.Hex, Kind.Int], // readlinkat
        [268] = [Kind.DirFd, Kind.Path, Kind.Mode], // fchmodat
        [269] = [Kind.DirFd, Kind.Path, Kind.AccessMode], // faccessat
        [292] = [Kind.Fd, Kind.Fd, Kind.Hex], // dup3
        [316] = [Kind.DirFd, Kind.Path, Kind.DirFd, Kind.Path, Kind.Hex], // renameat2
        [322] = [Kind.DirFd, Kind.Path, Kind.Argv, Kind.Envp, Kind.AtFlags], // execveat
        [332] = [Kind.DirFd, Kind.Path, Kind.AtFlags, Kind.Hex, Kind.Hex], // statx
        [437] = [Kind.DirFd, Kind.Path, Kind.Hex, Kind.Int], // openat2
        [439] = [Kind.DirFd, Kind.Path, Kind.AccessMode, Kind.AtFlags], // faccessat2
    };

    /// <summary>True when call <paramref name="number"/> (x86_64) has arguments decoded here.</summary>
    public static bool Decodes(int number) => s_calls.ContainsKey(number);

    /// <summary>
    /// Writes call <paramref name="number"/>'s arguments (x86_64, thread <paramref name="tid"/> stopped
    /// at its entry) into <paramref name="into"/> (at least <see cref="MaxBytes"/> long); returns the bytes written.
    /// </summary>
    public static int Format(Span<byte> into, int tid, int number, in Ptrace.SyscallInfo info)
    {
        if (!s_calls.TryGetValue(number, out Kind[]? kinds))
        {
            return 0;
        }

        ulong* args = stackalloc ulong[6] { info.Arg0, info.Arg1, info.Arg2, info.Arg3, info.Arg4, info.Arg5 };
        var w = new Writer(into);
        for (int i = 0; i < kinds.Length; i++)
        {
            Kind kind = kinds[i];

            // open's mode only with O_CREAT or O_TMPFILE (strace leaves it out otherwise).
            if (kind == Kind.Mode && i > 0 && kinds[i - 1] == Kind.OpenFlags && (args[i - 1] & (0x40 | 0x400000)) == 0)
            {
                break;
            }

            if (i > 0)
            {
                w.Append(", "u8);
            }

            ulong value = args[i];
            switch (kind)
            {
                case Kind.Fd:
                case Kind.Int:
                    w.Number((long)value);
                    break;
                case Kind.DirFd:
                    if ((int)value == AtFdCwd)
                    {
                        w.Append("AT_FDCWD"u8);
                    }
                    else
                    {
                        w.Number((int)value);
                    }

                    break;
                case Kind.Path:
                    w.String(tid, value, MaxString, out _);
                    break;
                case Kind.OpenFlags:
                    OpenFlags(ref w, value);
                    break;
                case Kind.Mode:
                    w.Octal(value);
                    break;
                case Kind.AccessMode:
                    AccessMode(ref w, value);
                    break;
                case Kind.AtFlags:
                    AtFlags(ref w, value, number);
                    break;
                case Kind.Buffer:
                    w.Bytes(tid, value, (long)Math.Min(args[i + 1], MaxWritten), args[i + 1] > MaxWritten);
                    break;
                case Kind.Sockaddr:
                    Sockaddr(ref w, tid, value, (int)Math.Min(args[i + 1], 128));
                    break;
                case Kind.SocketDomain:
                    SocketDomain(ref w, value);
                    break;
                case Kind.SocketType:
                    SocketType(ref w, value);
                    break;
                case Kind.Argv:
                    Argv(ref w, tid, value);
                    break;
                case Kind.Envp:
                    Envp(ref w, tid, value);
                    break;
                default:
                    w.Hex(value);
                    break;
            }

            if (w.Full)
            {
                break;
            }
        }

        return w.Length;
    }

    private static readonly (uint Bit, byte[] Name)[] s_openFlags =
    [
        (0x40, "O_CREAT"u8.ToArray()), (0x80, "O_EXCL"u8.ToArray()), (0x100, "O_NOCTTY"u8.ToArray()), (0x200, "O_TRUNC"u8.ToArray()),
        (0x400, "O_APPEND"u8.ToArray()), (0x800, "O_NONBLOCK"u8.ToArray()), (0x101000, "O_SYNC"u8.ToArray()), (0x1000, "O_DSYNC"u8.ToArray()),
        (0x2000, "O_ASYNC"u8.ToArray()), (0x4000, "O_DIRECT"u8.ToArray()), (0x8000, "O_LARGEFILE"u8.ToArray()), (0x10000, "O_DIRECTORY"u8.ToArray()),
        (0x20000, "O_NOFOLLOW"u8.ToArray()), (0x40000, "O_NOATIME"u8.ToArray()), (0x80000, "O_CLOEXEC"u8.ToArray()), (0x200000, "O_PATH"u8.ToArray()),
        (0x410000, "O_TMPFILE"u8.ToArray()),
    ];

    private static void OpenFlags(ref Writer w, ulong value)
    {
        uint flags = (uint)value;
        w.Append((flags & 3) switch { 0 => "O_RDONLY"u8, 1 => "O_WRONLY"u8, 2 => "O_RDWR"u8, _ => "O_ACCMODE"u8 });
        flags &= ~3u;
        foreach (var (bit, name) in s_openFlags)
        {
            if ((flags & bit) == bit)
            {
                w.Append((byte)'|');
                w.Append(name);
                flags &= ~bit;
            }
        }

        if (flags != 0)
        {
            w.Append((byte)'|');
            w.Hex(flags);
        }
    }

    private static void AccessMode(ref Writer w, ulong value)
    {
        uint mode = (uint)value;
        if (mode == 0)
        {
            w.Append("F_OK"u8);
            return;
        }

        bool any = false;
        foreach (var (bit, name) in (ReadOnlySpan<(uint, string)>)[(4, "R_OK"), (2, "W_OK"), (1, "X_OK")])
        {
            if ((mode & bit) != 0)
            {
                if (any)
                {
                    w.Append((byte)'|');
                }

                w.Ascii(name);
                mode &= ~bit;
                any = true;
            }
        }

        if (mode != 0)
        {
            w.Append((byte)'|');
            w.Hex(mode);
        }
    }

    private static void AtFlags(ref Writer w, ulong value, int number)
    {
        uint flags = (uint)value;
        if (flags == 0)
        {
            w.Append((byte)'0');
            return;
        }

        // 0x200 is AT_REMOVEDIR for unlinkat, AT_EACCESS for faccessat2.
        ReadOnlySpan<byte> x200 = number == 263 ? "AT_REMOVEDIR"u8 : number == 439 ? "AT_EACCESS"u8 : default;
        bool any = false;
        foreach (var (bit, name) in (ReadOnlySpan<(uint, string)>)[(0x100, "AT_SYMLINK_NOFOLLOW"), (0x400, "AT_SYMLINK_FOLLOW"), (0x800, "AT_NO_AUTOMOUNT"), (0x1000, "AT_EMPTY_PATH")])
        {
            if ((flags & bit) != 0)
            {
                if (any)
                {
                    w.Append((byte)'|');
                }

                w.Ascii(name);
                flags &= ~bit;
                any = true;
            }
        }

        if ((flags & 0x200) != 0 && !x200.IsEmpty)
        {
            if (any)
            {
                w.Append((byte)'|');
            }

            w.Append(x200);
            flags &= ~0x200u;
            any = true;
        }

        if (flags != 0)
        {
            if (any)
            {
                w.Append((byte)'|');
            }

            w.Hex(flags);
        }
    }

    private static void SocketDomain(ref Writer w, ulong value)
    {
        switch ((int)value)
        {
            case 1: w.Append("AF_UNIX"u8); break;
            case 2: w.Append("AF_INET"u8); break;
            case 10: w.Append("AF_INET6"u8); break;
            case 16: w.Append("AF_NETLINK"u8); break;
            case 17: w.Append("AF_PACKET"u8); break;
            default: w.Number((int)value); break;
        }
    }

    private static void SocketType(ref Writer w, ulong value)
    {
        uint type = (uint)value;
        switch (type & 0xf)
        {
            case 1: w.Append("SOCK_STREAM"u8); break;
            case 2: w.Append("SOCK_DGRAM"u8); break;
            case 3: w.Append("SOCK_RAW"u8); break;
            case 5: w.Append("SOCK_SEQPACKET"u8); break;
            default: w.Number(type & 0xf); break;
        }

        if ((type & 0x80000) != 0)
        {
            w.Append("|SOCK_CLOEXEC"u8);
        }

        if ((type & 0x800) != 0)
        {
            w.Append("|SOCK_NONBLOCK"u8);
        }

        if ((type & ~0x8080fu) != 0)
        {
            w.Append((byte)'|');
            w.Hex(type & ~0x8080fu);
        }
    }

    private static void Sockaddr(ref Writer w, int tid, ulong address, int length)
    {
        byte* buffer = stackalloc byte[128];
        if (length < 2 || !Read(tid, address, buffer, length))
        {
            w.Hex(address);
            return;
        }

        ushort family = *(ushort*)buffer;
        if (family == 2 && length >= 8)
        {
            w.Append("{sa_family=AF_INET, sin_port=htons("u8);
            w.Number((buffer[2] << 8) | buffer[3]);
            w.Append("), sin_addr=inet_addr(\""u8);
            for (int i = 0; i < 4; i++)
            {
                if (i > 0)
                {
                    w.Append((byte)'.');
                }

                w.Number(buffer[4 + i]);
            }

            w.Append("\")}"u8);
        }
        else if (family == 10 && length >= 28)
        {
            w.Append("{sa_family=AF_INET6, sin6_port=htons("u8);
            w.Number((buffer[2] << 8) | buffer[3]);
            w.Append("), sin6_flowinfo=htonl("u8);
            w.Number((long)(uint)((buffer[4] << 24) | (buffer[5] << 16) | (buffer[6] << 8) | buffer[7]));
            w.Append("), inet_pton(AF_INET6, \""u8);
            w.Ascii(new IPAddress(new ReadOnlySpan<byte>(buffer + 8, 16)).ToString());
            w.Append("\", &sin6_addr), sin6_scope_id="u8);
            w.Number(*(uint*)(buffer + 24));
            w.Append((byte)'}');
        }
        else if (family == 1)
        {
            w.Append("{sa_family=AF_UNIX"u8);
            if (length > 2)
            {
                w.Append(", sun_path="u8);
                var path = new ReadOnlySpan<byte>(buffer + 2, length - 2);
                if (path[0] == 0)
                {
                    // An abstract socket: a name that starts with a NUL, shown as @name.
                    w.Append((byte)'@');
                    w.Quoted(path[1..]);
                }
                else
                {
                    int nul = path.IndexOf((byte)0);
                    w.Quoted(nul < 0 ? path : path[..nul]);
                }
            }

            w.Append((byte)'}');
        }
        else
        {
            w.Append("{sa_family="u8);
            w.Number(family);
            w.Append(", ...}"u8);
        }
    }

    private static void Argv(ref Writer w, int tid, ulong address)
    {
        ulong* pointers = stackalloc ulong[MaxVector];
        int count = Vector(tid, address, pointers);
        if (count < 0)
        {
            w.Hex(address);
            return;
        }

        w.Append((byte)'[');
        for (int i = 0; i < count && i < MaxVector; i++)
        {
            if (i > 0)
            {
                w.Append(", "u8);
            }

            w.String(tid, pointers[i], MaxString, out _);
            if (w.Full)
            {
                return;
            }
        }

        if (count >= MaxVector)
        {
            w.Append(", ..."u8);
        }

        w.Append((byte)']');
    }

    private static void Envp(ref Writer w, int tid, ulong address)
    {
        w.Hex(address);
        int vars = 0;
        ulong* pointers = stackalloc ulong[MaxVector];
        for (int page = 0; page < 64; page++)
        {
            int count = Vector(tid, address + (ulong)(page * MaxVector * 8), pointers);
            if (count < 0)
            {
                return;
            }

            vars += Math.Min(count, MaxVector);
            if (count < MaxVector)
            {
                break;
            }
        }

        w.Append(" /* "u8);
        w.Number(vars);
        w.Append(" vars */"u8);
    }

    /// <summary>The pointers of a NULL-ended vector (at most <see cref="MaxVector"/>; that many means there are more); -1 when unreadable.</summary>
    private static int Vector(int tid, ulong address, ulong* pointers)
    {
        int have = 0;
        while (have < MaxVector)
        {
            // Page by page: the vector may end just before an unmapped page.
            ulong at = address + (ulong)(have * 8);
            int words = (int)Math.Min((ulong)(MaxVector - have), (4096 - (at % 4096)) / 8);
            if (words == 0 || !Read(tid, at, (byte*)(pointers + have), words * 8))
            {
                return have == 0 ? -1 : have;
            }

            for (int i = 0; i < words; i++)
            {
                if (pointers[have + i] == 0)
                {
                    return have + i;
                }
            }

            have += words;
        }

        return MaxVector;
    }

    private static bool Read(int tid, ulong address, byte* into, int length)
    {
        Ptrace.IoVec local = new() { Base = into, Length = (nuint)length };
        Ptrace.IoVec remote = new() { Base = (void*)address, Length = (nuint)length };
        return Ptrace.ProcessVmReadv(tid, &local, 1, &remote, 1, 0) == length;
    }

    /// <summary>Appends to a span, stopping (with <c>...</c>) at <see cref="MaxBytes"/>.</summary>
    private ref struct Writer(Span<byte> into)
    {
        private readonly Span<byte> _into = into;

        public int Length { get; private set; }

        public readonly bool Full => Length >= MaxBytes - 64;

        public void Append(byte b)
        {
            if (Length < MaxBytes)
            {
                _into[Length++] = b;
            }
        }

        public void Append(ReadOnlySpan<byte> bytes)
        {
            int n = Math.Min(bytes.Length, MaxBytes - Length);
            bytes[..n].CopyTo(_into[Length..]);
            Length += n;
        }

        public void Ascii(string text)
        {
            foreach (char c in text)
            {
                Append((byte)c);
            }
        }

        public void Number(long value)
        {
            if (MaxBytes - Length >= 20)
            {
                Utf8Formatter.TryFormat(value, _into[Length..], out int written);
                Length += written;
            }
        }

        public void Hex(ulong value)
        {
            if (MaxBytes - Length >= 18)
            {
                Append("0x"u8);
                Utf8Formatter.TryFormat(value, _into[Length..], out int written, new System.Buffers.StandardFormat('x'));
                Length += written;
            }
        }

        public void Octal(ulong value)
        {
            Span<byte> digits = stackalloc byte[24];
            int n = 0;
            do
            {
                digits[n++] = (byte)('0' + (int)(value & 7));
                value >>= 3;
            }
            while (value != 0);

            Append((byte)'0');
            while (n > 0)
            {
                Append(digits[--n]);
            }
        }

        /// <summary>A NUL-ended string of the tracee's memory, quoted; its address when unreadable.</summary>
        public void String(int tid, ulong address, int max, out bool ended)
        {
            ended = false;
            if (address == 0)
            {
                Append("NULL"u8);
                return;
            }

            byte* chunk = stackalloc byte[256];
            bool started = false;
            int have = 0;
            while (have < max && !Full)
            {
                ulong at = address + (ulong)have;
                int length = (int)Math.Min((ulong)Math.Min(256, max - have), 4096 - (at % 4096));
                if (!Read(tid, at, chunk, length))
                {
                    break;
                }

                if (!started)
                {
                    Append((byte)'"');
                    started = true;
                }

                var span = new ReadOnlySpan<byte>(chunk, length);
                int nul = span.IndexOf((byte)0);
                Escaped(nul < 0 ? span : span[..nul]);
                if (nul >= 0)
                {
                    ended = true;
                    break;
                }

                have += length;
            }

            if (!started)
            {
                Hex(address);
                return;
            }

            Append((byte)'"');
            if (!ended)
            {
                Append("..."u8);
            }
        }

        /// <summary>The first <paramref name="length"/> bytes at <paramref name="address"/>, quoted, then <c>...</c> when <paramref name="more"/>.</summary>
        public void Bytes(int tid, ulong address, long length, bool more)
        {
            byte* buffer = stackalloc byte[MaxWritten];
            if (length < 0 || (length > 0 && !Read(tid, address, buffer, (int)length)))
            {
                Hex(address);
                return;
            }

            Quoted(new ReadOnlySpan<byte>(buffer, (int)length));
            if (more)
            {
                Append("..."u8);
            }
        }

        public void Quoted(ReadOnlySpan<byte> bytes)
        {
            Append((byte)'"');
            Escaped(bytes);
            Append((byte)'"');
        }

        /// <summary>
        /// As strace escapes: <c>\"</c>, <c>\\</c>, <c>\t \n \v \f \r</c>, other control and non-ASCII
        /// bytes in the shortest octal (three digits before an octal digit).
        /// </summary>
        private void Escaped(ReadOnlySpan<byte> bytes)
        {
            for (int i = 0; i < bytes.Length; i++)
            {
                byte b = bytes[i];
                switch (b)
                {
                    case (byte)'"':
                        Append("\\\""u8);
                        break;
                    case (byte)'\\':
                        Append("\\\\"u8);
                        break;
                    case (byte)'\t':
                        Append("\\t"u8);
                        break;
                    case (byte)'\n':
                        Append("\\n"u8);
                        break;
                    case 0x0b:
                        Append("\\v"u8);
                        break;
                    case 0x0c:
                        Append("\\f"u8);
                        break;
                    case (byte)'\r':
                        Append("\\r"u8);
                        break;
                    case < 0x20 or >= 0x7f:
                        Append((byte)'\\');
                        bool digitNext = i + 1 < bytes.Length && bytes[i + 1] is >= (byte)'0' and <= (byte)'7';
                        if (digitNext || b >= 64)
                        {
                            Append((byte)('0' + (b >> 6)));
                        }

                        if (digitNext || b >= 8)
                        {
                            Append((byte)('0' + ((b >> 3) & 7)));
                        }

                        Append((byte)('0' + (b & 7)));
                        break;
                    default:
                        Append(b);
                        break;
                }
            }
        }
    }
}

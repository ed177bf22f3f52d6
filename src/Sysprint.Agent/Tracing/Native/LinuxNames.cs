using System.Globalization;
using System.Runtime.InteropServices;

namespace Sysprint.Agent.Tracing.Native;

/// <summary>Linux errno and signal names as strace prints them (<c>ENOENT</c>, <c>SIGCHLD</c>).</summary>
public static class LinuxNames
{
    private static readonly string[] s_errnos =
    [
        "", "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF", "ECHILD",
        "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV", "ENODEV", "ENOTDIR",
        "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC", "ESPIPE", "EROFS",
        "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK", "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP",
        "", "ENOMSG", "EIDRM", "ECHRNG", "EL2NSYNC", "EL3HLT", "EL3RST", "ELNRNG", "EUNATCH", "ENOCSI",
        "EL2HLT", "EBADE", "EBADR", "EXFULL", "ENOANO", "EBADRQC", "EBADSLT", "", "EBFONT", "ENOSTR",
        "ENODATA", "ETIME", "ENOSR", "ENONET", "ENOPKG", "EREMOTE", "ENOLINK", "EADV", "ESRMNT", "ECOMM",
        "EPROTO", "EMULTIHOP", "EDOTDOT", "EBADMSG", "EOVERFLOW", "ENOTUNIQ", "EBADFD", "EREMCHG", "ELIBACC", "ELIBBAD",
        "ELIBSCN", "ELIBMAX", "ELIBEXEC", "EILSEQ", "ERESTART", "ESTRPIPE", "EUSERS", "ENOTSOCK", "EDESTADDRREQ", "EMSGSIZE",
        "EPROTOTYPE", "ENOPROTOOPT", "EPROTONOSUPPORT", "ESOCKTNOSUPPORT", "EOPNOTSUPP", "EPFNOSUPPORT", "EAFNOSUPPORT", "EADDRINUSE", "EADDRNOTAVAIL", "ENETDOWN",
        "ENETUNREACH", "ENETRESET", "ECONNABORTED", "ECONNRESET", "ENOBUFS", "EISCONN", "ENOTCONN", "ESHUTDOWN", "ETOOMANYREFS", "ETIMEDOUT",
        "ECONNREFUSED", "EHOSTDOWN", "EHOSTUNREACH", "EALREADY", "EINPROGRESS", "ESTALE", "EUCLEAN", "ENOTNAM", "ENAVAIL", "EISNAM",
        "EREMOTEIO", "EDQUOT", "ENOMEDIUM", "EMEDIUMTYPE", "ECANCELED", "ENOKEY", "EKEYEXPIRED", "EKEYREVOKED", "EKEYREJECTED", "EOWNERDEAD",
        "ENOTRECOVERABLE", "ERFKILL", "EHWPOISON",
    ];

    /// <summary>The kernel's own codes a call may end with when a signal interrupts it (never seen by the program).</summary>
    private static readonly (int Code, string Name, string Text)[] s_restarts =
    [
        (512, "ERESTARTSYS", "To be restarted if SA_RESTART is set"),
        (513, "ERESTARTNOINTR", "To be restarted"),
        (514, "ERESTARTNOHAND", "To be restarted if no handler"),
        (516, "ERESTART_RESTARTBLOCK", "Interrupted by signal"),
    ];

    private static readonly string[] s_signals =
    [
        "", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
        "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",
        "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
    ];

    /// <summary>Valid errno numbers.</summary>
    public const int MaxErrno = 133;

    /// <summary><c>ENOENT</c>, or the number when it has no name.</summary>
    public static string Errno(int code) =>
        code > 0 && code < s_errnos.Length && s_errnos[code].Length > 0 ? s_errnos[code] : code.ToString(CultureInfo.InvariantCulture);

    /// <summary>strace's text after <c>= </c> for a call that failed with <paramref name="code"/>: <c>-1 ENOENT (No such file or directory)</c>.</summary>
    public static string ErrorReturn(int code)
    {
        foreach (var (restart, name, text) in s_restarts)
        {
            if (restart == code)
            {
                return $"? {name} ({text})";
            }
        }

        return $"-1 {Errno(code)} ({Marshal.GetPInvokeErrorMessage(code)})";
    }

    /// <summary>Parses an errno given by name (<c>EPERM</c>, case-insensitive) or number (1 to 133).</summary>
    public static bool TryParseErrno(string text, out int code)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out code))
        {
            return code >= 1 && code <= MaxErrno;
        }

        for (int i = 1; i < s_errnos.Length; i++)
        {
            if (s_errnos[i].Length > 0 && string.Equals(s_errnos[i], text, StringComparison.OrdinalIgnoreCase))
            {
                code = i;
                return true;
            }
        }

        code = 0;
        return false;
    }

    /// <summary><c>SIGCHLD</c>; real-time signals as strace names them (<c>SIGRT_2</c>).</summary>
    public static string Signal(int signal) =>
        signal > 0 && signal < s_signals.Length ? s_signals[signal]
        : signal == 32 ? "SIGRTMIN"
        : signal > 32 ? "SIGRT_" + (signal - 32).ToString(CultureInfo.InvariantCulture)
        : signal.ToString(CultureInfo.InvariantCulture);
}

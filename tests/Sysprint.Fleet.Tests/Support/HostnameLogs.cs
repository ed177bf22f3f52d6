using System.Globalization;

namespace Sysprint.Fleet.Tests.Support;

/// <summary>
/// The strace logs the fleet tests learn and watch: a process that reads /etc/hostname, and the
/// same process with one new behaviour (a socket after the read, getpid after the close).
/// </summary>
internal static class HostnameLogs
{
    /// <summary>Reads /etc/hostname and exits (pid 100): openat -> read -> close.</summary>
    public const string Normal =
        """
        100   openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3
        100   read(3, "vm\n", 131072) = 3
        100   close(3) = 0
        100   +++ exited with 0 +++

        """;

    /// <summary>Opens a socket after reading: read -> socket and socket -> close are unknown to <see cref="Normal"/>.</summary>
    /// <param name="exited">Whether the log ends with the process's exit (a finished log).</param>
    public static string SocketAfterRead(int pid, bool exited) => Lines(pid,
        "openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY) = 3", "read(3, \"vm\\n\", 131072) = 3", "socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4", "close(3) = 0",
        exited ? "+++ exited with 0 +++" : null);

    /// <summary>Calls getpid after the close: close -> getpid is unknown to <see cref="Normal"/>.</summary>
    public static string GetpidAfterClose(int pid) => Lines(pid,
        "openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY) = 3", "read(3, \"vm\\n\", 131072) = 3", "close(3) = 0",
        string.Create(CultureInfo.InvariantCulture, $"getpid() = {pid}"), "+++ exited with 0 +++");

    private static string Lines(int pid, params string?[] calls) =>
        string.Concat(calls.Where(c => c is not null).Select(c => string.Create(CultureInfo.InvariantCulture, $"{pid}   {c}\n")));
}

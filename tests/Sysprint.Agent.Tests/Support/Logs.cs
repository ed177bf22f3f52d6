namespace Sysprint.Agent.Tests.Support;

/// <summary>Small strace logs whose calls are known by heart (x86_64 numbers: read 0, write 1, close 3, openat 257, socket 41).</summary>
internal static class Logs
{
    /// <summary>A normal run: openat → read → close, in pid 100.</summary>
    public const string Normal =
        """
        100   openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3
        100   read(3, "vm\n", 131072) = 3
        100   close(3) = 0
        100   +++ exited with 0 +++

        """;

    /// <summary><paramref name="cycles"/> normal openat → read → close cycles of a pid.</summary>
    public static string NormalLines(int pid, int cycles)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < cycles; i++)
        {
            sb.Append(pid).Append("   openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY) = 3\n");
            sb.Append(pid).Append("   read(3, \"vm\\n\", 131072) = 3\n");
            sb.Append(pid).Append("   close(3) = 0\n");
        }

        return sb.ToString();
    }

    /// <summary>An injected call: read → socket is unknown (and so is socket → close).</summary>
    public static string Injection(int pid) =>
        $"{pid}   openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY) = 3\n" +
        $"{pid}   read(3, \"vm\\n\", 131072) = 3\n" +
        $"{pid}   socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4\n" +
        $"{pid}   close(3) = 0\n";

    /// <summary>Trains a store on <see cref="Normal"/>; returns its path.</summary>
    public static string TrainedStore(TempDir dir)
    {
        string db = dir.PathOf("sysprint.db");
        string log = dir.Write("train/normal.strace", Normal);
        Cli.RunOk("train", "--db", db, log);
        return db;
    }
}

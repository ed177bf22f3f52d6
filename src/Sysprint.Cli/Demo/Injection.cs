using System.Diagnostics;

namespace Sysprint.Cli.Demo;

/// <summary>
/// Builds the demo's injected code: a shared library whose constructor runs before the program's
/// main, as a tampered binary or a planted LD_PRELOAD would. It opens a TCP socket and tries to
/// reach 127.0.0.1:4444 (nothing listens; no network is needed), then carries on.
/// </summary>
internal static class Injection
{
    private const string Source = """
        #include <arpa/inet.h>
        #include <netinet/in.h>
        #include <sys/socket.h>
        #include <unistd.h>

        /* Runs at load time, before main: the injected "phone home". */
        __attribute__((constructor)) static void injected(void)
        {
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(4444) };
            addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            connect(fd, (struct sockaddr *)&addr, sizeof addr);
            close(fd);
        }
        """;

    /// <summary>The library's path and a description; without a C compiler, no library and a note why.</summary>
    public static (string? Library, string Description) Build(string workDir)
    {
        string? compiler = Agent.Tracing.Executables.Find("cc") ?? Agent.Tracing.Executables.Find("gcc");
        if (compiler is null)
        {
            return (null, "NOT tampered (no C compiler to build the injected code: apt-get install gcc)");
        }

        string dir = Path.Combine(workDir, "inject");
        Directory.CreateDirectory(dir);
        string source = Path.Combine(dir, "phone_home.c");
        string library = Path.Combine(dir, "phone_home.so");
        File.WriteAllText(source, Source);
        var start = new ProcessStartInfo(compiler) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in new[] { "-shared", "-fPIC", "-O2", "-o", library, source })
        {
            start.ArgumentList.Add(arg);
        }

        using Process cc = Process.Start(start)!;
        string errors = cc.StandardError.ReadToEnd();
        cc.WaitForExit();
        return cc.ExitCode == 0
            ? (library, "code injected at load time (socket + connect to 127.0.0.1:4444)")
            : (null, $"NOT tampered (the injected code did not compile: {errors.Trim()})");
    }
}

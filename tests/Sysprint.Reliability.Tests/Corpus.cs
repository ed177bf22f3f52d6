using System.Security.Cryptography;
using System.Text;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Parsing;

namespace Sysprint.Reliability.Tests;

/// <summary>
/// Deterministic strace logs (<c>-f -o</c> shape, three processes interleaved) whose later logs use
/// more calls, so every log brings new transitions; and the grams each log alone gives.
/// </summary>
internal sealed class Corpus
{
    private static readonly string[] s_calls =
    [
        "read", "write", "openat", "close", "newfstatat", "mmap", "munmap", "brk", "lseek", "pread64",
        "ioctl", "access", "pipe2", "dup2", "getpid", "socket", "connect", "sendto", "recvfrom", "clone3",
        "execve", "wait4", "kill", "fcntl", "getdents64", "getcwd", "chdir", "rename", "mkdir", "unlink",
        "readlink", "chmod", "umask", "gettimeofday", "getrlimit", "getuid", "prctl", "futex", "set_tid_address", "rseq",
        "prlimit64", "getrandom", "statx", "faccessat2", "epoll_create1", "epoll_ctl", "epoll_wait", "poll", "select", "nanosleep",
    ];

    private readonly Dictionary<string, HashSet<string>> _gramsBySha = new(StringComparer.Ordinal);

    private Corpus(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    public List<string> Logs { get; } = [];

    /// <summary>Writes <paramref name="count"/> logs of <paramref name="lines"/> lines under <paramref name="directory"/>.</summary>
    public static Corpus Create(string directory, int count, int lines, int seed)
    {
        System.IO.Directory.CreateDirectory(directory);
        var corpus = new Corpus(directory);
        for (int i = 0; i < count; i++)
        {
            var random = new Random(seed + i);
            int vocabulary = Math.Min(s_calls.Length, 8 + (i * s_calls.Length / count));
            var text = new StringBuilder(lines * 32);
            for (int line = 0; line < lines; line++)
            {
                int pid = 1000 + random.Next(3);
                text.Append(pid).Append("  ").Append(s_calls[random.Next(vocabulary)]).Append("(3, \"x\", 1) = 0\n");
            }

            for (int pid = 1000; pid < 1003; pid++)
            {
                text.Append(pid).Append("  +++ exited with 0 +++\n");
            }

            string path = Path.Combine(directory, $"run-{i:D3}.strace");
            File.WriteAllText(path, text.ToString());
            corpus.Logs.Add(path);
            corpus._gramsBySha[Sha256(path)] = GramsOf(path);
        }

        return corpus;
    }

    /// <summary>The grams learning exactly the logs of these SHA-256 digests must give.</summary>
    public HashSet<string> ExpectedGrams(IEnumerable<string> sha256s)
    {
        var grams = new HashSet<string>(StringComparer.Ordinal);
        foreach (string sha in sha256s)
        {
            Assert.True(_gramsBySha.TryGetValue(sha, out HashSet<string>? own), $"the store records a log of sha256 {sha} that is not in the corpus");
            grams.UnionWith(own!);
        }

        return grams;
    }

    private static HashSet<string> GramsOf(string path)
    {
        var fingerprint = new Fingerprint(2);
        LogReader.Read(path, SyscallTable.Builtin("x86_64"), new LogReadOptions(), new FingerprintLearner(fingerprint));
        return fingerprint.Grams().Select(g => Fingerprint.FormatGram(g)).ToHashSet(StringComparer.Ordinal);
    }

    private static string Sha256(string path)
    {
        using FileStream file = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }
}

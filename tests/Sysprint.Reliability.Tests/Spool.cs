using System.Text;

namespace Sysprint.Reliability.Tests;

/// <summary>
/// A <c>watch</c> spool: several VMs' strace logs (<c>SPOOL/vm-N/run-M.strace</c>) appended a few
/// lines at a time, each VM writing its logs one after the other, with foreign calls among normal
/// openat → read → close cycles, so each log brings a few distinct mismatches.
/// </summary>
internal sealed class Spool
{
    private static readonly string[] s_foreign =
    [
        "socket", "bind", "listen", "connect", "accept", "sendto", "recvfrom", "sendmsg", "recvmsg", "shutdown",
        "getsockname", "getpeername", "socketpair", "setsockopt", "getsockopt", "uname", "kill", "setuid", "chmod", "unlink",
    ];

    private readonly List<List<(string Path, List<string> Lines)>> _vms = [];

    private Spool(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    /// <summary>Every log, written or to be written.</summary>
    public IEnumerable<string> Logs => _vms.SelectMany(vm => vm.Select(log => log.Path));

    /// <summary>The normal run the spool's logs are checked against: its cycle and nothing else.</summary>
    public static string NormalLog(int pid, int cycles)
    {
        var text = new StringBuilder();
        foreach (string line in Cycles(pid, cycles, anomalies: 0, new Random(0)))
        {
            text.Append(line).Append('\n');
        }

        return text.Append(pid).Append("   +++ exited with 0 +++\n").ToString();
    }

    /// <summary>
    /// Plans <paramref name="vms"/> × <paramref name="logsPerVm"/> logs of <paramref name="cycles"/>
    /// cycles with <paramref name="anomalies"/> foreign calls each (a pid of its own per log, so no
    /// two logs start alike); creates the VMs' folders, writes nothing yet.
    /// </summary>
    public static Spool Plan(string directory, int vms, int logsPerVm, int cycles, int anomalies, int seed)
    {
        var spool = new Spool(directory);
        var random = new Random(seed);
        for (int vm = 0; vm < vms; vm++)
        {
            string folder = Path.Combine(directory, $"vm-{vm:D2}");
            System.IO.Directory.CreateDirectory(folder);
            var logs = new List<(string, List<string>)>();
            for (int log = 0; log < logsPerVm; log++)
            {
                int pid = 2000 + (vm * 100) + log;
                List<string> lines = Cycles(pid, cycles, anomalies, random);
                lines.Add($"{pid}   +++ exited with 0 +++");
                logs.Add((Path.Combine(folder, $"run-{log}.strace"), lines));
            }

            spool._vms.Add(logs);
        }

        return spool;
    }

    /// <summary>
    /// Appends 1 to <paramref name="maxChunk"/> lines to each VM's current log every
    /// <paramref name="interval"/>, until every log is complete.
    /// </summary>
    public async Task WriteAsync(TimeSpan interval, int maxChunk, int seed, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        int[] log = new int[_vms.Count];
        int[] line = new int[_vms.Count];
        while (true)
        {
            bool more = false;
            for (int vm = 0; vm < _vms.Count; vm++)
            {
                if (log[vm] == _vms[vm].Count)
                {
                    continue;
                }

                (string path, List<string> lines) = _vms[vm][log[vm]];
                int take = Math.Min(1 + random.Next(maxChunk), lines.Count - line[vm]);
                await File.AppendAllTextAsync(path, string.Join('\n', lines.Skip(line[vm]).Take(take)) + "\n", cancellationToken);
                line[vm] += take;
                if (line[vm] == lines.Count)
                {
                    log[vm]++;
                    line[vm] = 0;
                }

                more |= log[vm] < _vms[vm].Count;
            }

            if (!more)
            {
                return;
            }

            await Task.Delay(interval, cancellationToken);
        }
    }

    private static List<string> Cycles(int pid, int cycles, int anomalies, Random random)
    {
        var lines = new List<string>();
        var at = new HashSet<int>(Enumerable.Range(0, anomalies).Select(_ => random.Next(cycles)));
        int first = random.Next(s_foreign.Length);
        int used = 0;
        for (int i = 0; i < cycles; i++)
        {
            lines.Add($"{pid}   openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY) = 3");
            lines.Add($"{pid}   read(3, \"vm\\n\", 131072) = 3");
            if (at.Contains(i))
            {
                lines.Add($"{pid}   {s_foreign[(first + used++) % s_foreign.Length]}(3) = 0");
            }

            lines.Add($"{pid}   close(3) = 0");
        }

        return lines;
    }
}

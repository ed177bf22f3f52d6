using System.Globalization;

namespace Sysprint.Agent.Tracing;

/// <summary>Finds a process's descendants through <c>/proc</c> and signals them.</summary>
internal static class ProcessTree
{
    /// <summary>The pids whose parent chain leads to <paramref name="root"/> (not <paramref name="root"/> itself).</summary>
    public static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            int? parent = ParentOf(pid);
            if (parent is { } p)
            {
                parents[pid] = p;
            }
        }

        var found = new List<int>();
        var frontier = new Queue<int>();
        frontier.Enqueue(root);
        while (frontier.Count > 0)
        {
            int current = frontier.Dequeue();
            foreach (var (pid, parent) in parents)
            {
                if (parent == current && !found.Contains(pid))
                {
                    found.Add(pid);
                    frontier.Enqueue(pid);
                }
            }
        }

        return found;
    }

    /// <summary>The parent pid from <c>/proc/PID/stat</c> (after the command's closing parenthesis), or null when gone.</summary>
    public static int? ParentOf(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        int close = stat.LastIndexOf(')');
        if (close < 0 || close + 4 >= stat.Length)
        {
            return null;
        }

        // ") S 1234 ...": state, then the parent pid.
        ReadOnlySpan<char> rest = stat.AsSpan(close + 4);
        int space = rest.IndexOf(' ');
        return int.TryParse(space < 0 ? rest : rest[..space], NumberStyles.None, CultureInfo.InvariantCulture, out int parent) ? parent : null;
    }

    /// <summary>The state letter of <c>/proc/PID/stat</c> (<c>T</c> stopped, <c>t</c> tracing stop), or null when gone.</summary>
    public static char? StateOf(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close >= 0 && close + 2 < stat.Length ? stat[close + 2] : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Signals every descendant of <paramref name="root"/>, again until no new one appears (a
    /// process may fork while we look). Returns the pids signalled.
    /// </summary>
    public static List<int> SignalDescendants(int root, int signal)
    {
        var signalled = new List<int>();
        for (int pass = 0; pass < 5; pass++)
        {
            bool any = false;
            foreach (int pid in Descendants(root))
            {
                if (!signalled.Contains(pid) && Posix.Signal(pid, signal))
                {
                    signalled.Add(pid);
                    any = true;
                }
            }

            if (!any)
            {
                break;
            }
        }

        return signalled;
    }

    /// <summary>The thread-group (process) id of thread <paramref name="tid"/>, from <c>/proc/TID/status</c>, or null when gone.</summary>
    public static int? ThreadGroupOf(int tid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{tid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (line.StartsWith("Tgid:", StringComparison.Ordinal))
                {
                    return int.TryParse(line.AsSpan(5).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int tgid) ? tgid : null;
                }
            }

            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The program's name (<c>/proc/PID/comm</c>), or null when gone.</summary>
    public static string? ProgramOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/comm").TrimEnd('\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

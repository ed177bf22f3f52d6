using Sysprint.Diagnostics;

namespace Sysprint.Engine;

/// <summary>
/// Expands the paths a user gives (files or directories, searched recursively) into the list of
/// log files, in a stable order. Symbolic links to directories are not followed inside a search
/// (as <c>find</c>), so a link loop cannot trap it; FIFOs and devices are never opened.
/// </summary>
public static class LogFinder
{
    /// <summary>The log files under <paramref name="paths"/>; files named directly are kept as given.</summary>
    /// <exception cref="SysprintException">A path does not exist, or a directory holds no file (InputMissing).</exception>
    public static IReadOnlyList<string> Expand(IEnumerable<string> paths, ICollection<string>? notes = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var files = new List<string>();
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
            {
                int before = files.Count;
                Walk(path, files, notes);
                if (files.Count == before)
                {
                    throw new SysprintException(ErrorKind.InputMissing, $"{path}: no log files in this directory");
                }
            }
            else if (File.Exists(path))
            {
                if (BrokenLink(path) is { } why)
                {
                    throw new SysprintException(ErrorKind.InputMissing, $"{path}: {why}");
                }

                files.Add(path);
            }
            else
            {
                throw new SysprintException(ErrorKind.InputMissing, $"{path}: {Missing(path)}");
            }
        }

        return files;
    }

    private static void Walk(string directory, List<string> files, ICollection<string>? notes)
    {
        var entries = new List<FileSystemInfo>();
        try
        {
            entries.AddRange(new DirectoryInfo(directory).EnumerateFileSystemInfos());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SysprintException(ErrorKind.InputMissing, $"{directory}: cannot list: {e.Message}", e);
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (FileSystemInfo entry in entries)
        {
            string path = Path.Combine(directory, entry.Name);

            // What the listing already read (lstat): no readlink or stat per file of a large folder.
            bool isLink = (entry.Attributes & FileAttributes.ReparsePoint) != 0;
            if (entry is DirectoryInfo)
            {
                if (isLink)
                {
                    notes?.Add($"{path}: symbolic link to a directory, not followed");
                    continue;
                }

                Walk(path, files, notes);
                continue;
            }

            if (isLink)
            {
                // A link to a file is followed; a dangling or looping link is reported, not fatal.
                FileSystemInfo? target;
                try
                {
                    target = entry.ResolveLinkTarget(returnFinalTarget: true);
                }
                catch (IOException e)
                {
                    notes?.Add($"{path}: skipped: {e.Message}");
                    continue;
                }

                if (target is null || !target.Exists || target is DirectoryInfo)
                {
                    notes?.Add($"{path}: skipped: link target missing or a directory");
                    continue;
                }

                if (!IsRegular(target.FullName))
                {
                    notes?.Add($"{path}: skipped: empty or not a regular file");
                    continue;
                }

                files.Add(path);
                continue;
            }

            if (entry is not FileInfo { Length: > 0 })
            {
                notes?.Add($"{path}: skipped: empty or not a regular file (FIFO, socket, device)");
                continue;
            }

            files.Add(path);
        }
    }

    /// <summary>
    /// .NET cannot tell a FIFO, socket or device from a file, but all of them report length 0, and
    /// an empty file holds no log anyway: skipping length 0 never opens anything that could block.
    /// </summary>
    private static bool IsRegular(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists && info.Length > 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Why a symbolic link named directly leads nowhere (dangling or looping), or null when it is fine or no link.</summary>
    private static string? BrokenLink(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is null)
        {
            return null;
        }

        try
        {
            FileSystemInfo? target = info.ResolveLinkTarget(returnFinalTarget: true);
            return target is null || !target.Exists ? "broken symbolic link (its target does not exist)" : null;
        }
        catch (IOException)
        {
            return "looping symbolic link (too many levels of links)";
        }
    }

    private static string Missing(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is not null)
            {
                return "broken or looping symbolic link";
            }
        }
        catch (IOException e)
        {
            return e.Message;
        }

        return "no such file or directory";
    }
}

using Sysprint.Diagnostics;

namespace Sysprint.Integrity;

/// <summary>
/// Refuses a file that anyone on the host may change: a world-writable store or config lets any
/// local user whitelist calls or turn off sinks, so the agent will not start on one.
/// </summary>
public static class FilePermissions
{
    /// <summary>
    /// Refuses <paramref name="path"/> when others may write it, or replace it: a world-writable
    /// directory without the sticky bit on its way from the root (anyone may rename or delete a file
    /// in it). A missing file passes: whoever opens it reports that.
    /// </summary>
    /// <param name="what">What the file is, for the message: "store", "config file".</param>
    /// <exception cref="SysprintException">Exit 77, naming the file, its mode and the <c>chmod</c> that fixes it.</exception>
    public static void RefuseWorldWritable(string path, string what)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(what);
        if (OperatingSystem.IsWindows() || !File.Exists(path))
        {
            return;
        }

        if ((File.GetUnixFileMode(path) & UnixFileMode.OtherWrite) != 0)
        {
            throw new SysprintException(ErrorKind.Untrusted,
                $"{path}: the {what} is world-writable (mode {Octal(File.GetUnixFileMode(path))}): anyone could change it; refusing to use it. Fix: chmod o-w {path}");
        }

        for (DirectoryInfo? directory = new FileInfo(Path.GetFullPath(path)).Directory; directory is not null; directory = directory.Parent)
        {
            UnixFileMode mode = File.GetUnixFileMode(directory.FullName);
            if ((mode & UnixFileMode.OtherWrite) != 0 && (mode & UnixFileMode.StickyBit) == 0)
            {
                throw new SysprintException(ErrorKind.Untrusted,
                    $"{path}: the {what} is in {directory.FullName}, a world-writable directory without the sticky bit (mode {Octal(mode)}): anyone could replace it; refusing to use it. Fix: chmod o-w {directory.FullName} (or chmod +t to keep it shared)");
            }
        }
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(3, '0');
}

using Sysprint.Diagnostics;

namespace Sysprint.Fleet;

/// <summary>
/// Files that hold a secret (the admin token, a host's credential): readable by their owner only
/// (0600), refused otherwise, and written so that no other user can read them even for a moment.
/// </summary>
public static class SecretFiles
{
    private const UnixFileMode OthersAccess = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>The file's text without surrounding white space.</summary>
    /// <param name="what">What the file holds, for messages: "admin token".</param>
    /// <exception cref="SysprintException">Missing or unreadable (66), empty (65), readable or writable by group or others (77).</exception>
    public static string Read(string path, string what)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & OthersAccess) != 0)
            {
                throw new SysprintException(ErrorKind.Untrusted,
                    $"{path}: the {what} file is open to group or others (mode {Convert.ToString((int)File.GetUnixFileMode(path), 8)}): refusing it; chmod 600 {path}");
            }

            text = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SysprintException(ErrorKind.InputMissing, $"{path}: cannot read the {what} file: {e.Message}", e);
        }

        if (text.Length == 0)
        {
            throw new SysprintException(ErrorKind.MalformedInput, $"{path}: the {what} file is empty");
        }

        return text;
    }

    /// <summary>Writes the file with mode 0600 through a temporary file renamed over it, so a crash leaves the old file or the new one.</summary>
    /// <exception cref="SysprintException">Cannot write (74).</exception>
    public static void Write(string path, string text, string what)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(text);
        string temporary = path + ".tmp";
        try
        {
            File.Delete(temporary);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temporary, options))
            {
                using var writer = new StreamWriter(stream);
                writer.Write(text);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SysprintException(ErrorKind.StoreUnavailable, $"{path}: cannot write the {what} file: {e.Message}", e);
        }
    }
}

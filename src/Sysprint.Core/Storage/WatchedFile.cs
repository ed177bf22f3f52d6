namespace Sysprint.Storage;

/// <summary>
/// A log file the agent watches, and how far it got. <see cref="Key"/> names the file's content in
/// alert ids, so the same anomaly found again after a restart gets the same id.
/// </summary>
public sealed record WatchedFile
{
    public long Id { get; init; }

    public required string Key { get; init; }

    public required string Vm { get; init; }

    /// <summary>Where the file was last seen.</summary>
    public required string Path { get; init; }

    public long Device { get; init; }

    public long Inode { get; init; }

    /// <summary>How many leading bytes <see cref="HeadHash"/> covers.</summary>
    public int HeadLength { get; init; }

    /// <summary>SHA-256 (hex) of the first <see cref="HeadLength"/> bytes of content (decompressed).</summary>
    public string HeadHash { get; init; } = "";

    /// <summary>Bytes of content read so far.</summary>
    public long Bytes { get; init; }

    /// <summary>The file's size when last looked at.</summary>
    public long Size { get; init; }

    /// <summary>The line reached.</summary>
    public long Lines { get; init; }

    public long Syscalls { get; init; }

    public long Alerts { get; init; }

    /// <summary>One of <see cref="WatchedFileStates"/>.</summary>
    public required string State { get; init; }

    public string? Error { get; init; }

    public DateTimeOffset FirstSeen { get; init; }

    public DateTimeOffset Updated { get; init; }
}

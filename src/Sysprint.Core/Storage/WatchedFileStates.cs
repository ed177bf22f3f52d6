namespace Sysprint.Storage;

/// <summary>The states of a <see cref="WatchedFile"/>.</summary>
public static class WatchedFileStates
{
    /// <summary>Being read, or waiting for more lines.</summary>
    public const string Reading = "reading";

    /// <summary>Read to its end: finished (compressed, idle, rotated away).</summary>
    public const string Done = "done";

    /// <summary>Truncated or replaced while read: the content it named is gone, never matched again.</summary>
    public const string Replaced = "replaced";

    /// <summary>Could not be read (malformed in strict mode, unreadable, unknown format).</summary>
    public const string Failed = "failed";
}

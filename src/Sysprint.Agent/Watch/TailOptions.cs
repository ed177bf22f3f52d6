namespace Sysprint.Agent.Watch;

/// <summary>How a growing file is followed.</summary>
public sealed record TailOptions
{
    /// <summary>How often the end of a file is looked at again for new lines.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// With inotify, a reader woken within this time after it reached its file's end reads once the
    /// time is up: a busy log is read in batches, at most as often as a poll would (a wake-up per
    /// write doubled the agent's CPU under load), and a quiet one the moment it is written.
    /// </summary>
    public TimeSpan WakeGap { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a file renamed away or deleted is still followed (its writer may finish a line).</summary>
    public TimeSpan RotateGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A file that did not grow for this long is finished (zero: never); it is read again if it grows.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);
}

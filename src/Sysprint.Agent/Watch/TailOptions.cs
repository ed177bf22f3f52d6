namespace Sysprint.Agent.Watch;

/// <summary>How a growing file is followed.</summary>
public sealed record TailOptions
{
    /// <summary>How often the end of a file is looked at again for new lines.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a file renamed away or deleted is still followed (its writer may finish a line).</summary>
    public TimeSpan RotateGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A file that did not grow for this long is finished (zero: never); it is read again if it grows.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);
}

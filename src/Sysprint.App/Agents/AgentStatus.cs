using Sysprint.Storage;

namespace Sysprint.App.Agents;

/// <summary>What <c>agent-status</c> shows: the agent, the files it watches and its sinks' deliveries.</summary>
/// <param name="Info">What the agent last said about itself; null when none ever ran on the store.</param>
/// <param name="HeartbeatAge">How long ago its last heartbeat was, at <paramref name="Now"/>.</param>
/// <param name="Now">When the status was read.</param>
public sealed record AgentStatus(
    AgentInfo? Info,
    AgentLiveness Liveness,
    TimeSpan? HeartbeatAge,
    IReadOnlyList<WatchedFileStatus> Files,
    IReadOnlyList<SinkCounts> Sinks,
    DateTimeOffset Now)
{
    /// <summary>The agent is alive.</summary>
    public bool Running => Liveness == AgentLiveness.Running;

    /// <summary>Files in <paramref name="state"/>, one of <see cref="WatchedFileStates"/>.</summary>
    public int Count(string state) => Files.Count(f => f.File.State == state);

    /// <summary>Lines read from every file.</summary>
    public long Lines => Files.Sum(f => f.File.Lines);

    /// <summary>System calls read from every file.</summary>
    public long Syscalls => Files.Sum(f => f.File.Syscalls);

    /// <summary>Bytes behind, over every file.</summary>
    public long LagBytes => Files.Sum(f => f.LagBytes);

    /// <summary>Alerts not yet delivered, over every sink.</summary>
    public long Pending => Sinks.Sum(s => s.Pending);

    /// <summary>When the oldest alert still pending at any sink was raised; null when none is.</summary>
    public DateTimeOffset? OldestPending => Sinks.Where(s => s.OldestPending is not null).Select(s => s.OldestPending).Min();
}

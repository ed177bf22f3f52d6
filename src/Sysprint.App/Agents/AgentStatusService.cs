using System.Globalization;
using Sysprint.Storage;

namespace Sysprint.App.Agents;

/// <summary>Reads the agent's status from the store it uses (<c>agent-status</c>).</summary>
public static class AgentStatusService
{
    /// <summary>The status at <paramref name="now"/>: the agent's facts, its liveness, each watched file's lag, each sink's deliveries.</summary>
    public static AgentStatus Read(IAgentStore store, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(store);
        AgentInfo? info = store.GetAgentInfo();
        IReadOnlyList<WatchedFile> files = store.ListWatchedFiles();
        IReadOnlyList<SinkCounts> sinks = store.CountDeliveries();
        TimeSpan? age = info is null ? null : now - info.Heartbeat;
        return new AgentStatus(info, Liveness(info, age), age, [.. files.Select(f => new WatchedFileStatus(f, Lag(f)))], sinks, now);
    }

    /// <summary>Running when the agent said so, its heartbeat is recent (three checkpoints and 2 s) and its process exists.</summary>
    private static AgentLiveness Liveness(AgentInfo? info, TimeSpan? age)
    {
        if (info is null)
        {
            return AgentLiveness.NeverRan;
        }

        bool alive = !info.Stopped && age < (3 * info.CheckpointInterval) + TimeSpan.FromSeconds(2)
            && Directory.Exists("/proc/" + info.Pid.ToString(CultureInfo.InvariantCulture));
        return alive ? AgentLiveness.Running : info.Stopped ? AgentLiveness.Stopped : AgentLiveness.Gone;
    }

    private static long Lag(WatchedFile file)
    {
        if (file.State != WatchedFileStates.Reading)
        {
            return 0;
        }

        var info = new FileInfo(file.Path);
        long size = info.Exists ? info.Length : file.Size;
        return Math.Max(0, size - file.Bytes);
    }
}

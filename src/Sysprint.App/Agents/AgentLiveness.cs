namespace Sysprint.App.Agents;

/// <summary>Whether the agent that uses a store is alive.</summary>
public enum AgentLiveness
{
    /// <summary>No agent ever wrote a heartbeat to this store.</summary>
    NeverRan,

    /// <summary>It says it runs, its heartbeat is recent and its process exists.</summary>
    Running,

    /// <summary>It stopped on its own.</summary>
    Stopped,

    /// <summary>It did not stop on its own, yet its heartbeat is late or its process is gone (killed?).</summary>
    Gone,
}

using Sysprint.Storage;

namespace Sysprint.Agent.Hosting;

/// <summary>
/// How the agent opens its store for a config: the fingerprints it checks against, and its own
/// tables (outbox, watched files), each capability over a connection of its own.
/// </summary>
internal sealed record AgentStores(Func<AgentConfig, IFingerprintStore> OpenStore, Func<AgentConfig, IAgentStore> OpenAgentStore);

using System.Text.Json;
using System.Text.Json.Serialization;
using Sysprint.Agent.Sinks;

namespace Sysprint.Agent.Hosting;

/// <summary>
/// The agent config's JSON, generated at build time (no reflection, so the native binary reads it):
/// comments and trailing commas allowed, unknown keys refused.
/// </summary>
[JsonSourceGenerationOptions(
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(AgentConfig))]
[JsonSerializable(typeof(SinkSettings))]
internal sealed partial class AgentConfigJson : JsonSerializerContext;

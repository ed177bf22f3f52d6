using System.Text.Json.Serialization;

namespace Sysprint.Agent.Fleet;

/// <summary>The JSON the agent writes to and reads from the fleet server and its credential file, generated at build time.</summary>
[JsonSerializable(typeof(FleetCredential))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(Dictionary<string, long>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(long))]
internal sealed partial class FleetJsonContext : JsonSerializerContext;

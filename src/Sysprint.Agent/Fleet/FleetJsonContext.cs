using System.Text.Json.Serialization;

namespace Sysprint.Agent.Fleet;

/// <summary>The credential file and the enrollment request, generated at build time (no reflection, for the native binary).</summary>
[JsonSerializable(typeof(FleetCredential))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class FleetJsonContext : JsonSerializerContext;

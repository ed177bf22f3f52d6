using System.Text.Json.Serialization;

namespace Sysprint.Cli.Commands;

/// <summary>
/// <c>agent-status --json</c>'s document, generated at build time (no reflection, so the native
/// binary writes it): nested objects of typed values.
/// </summary>
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(List<Dictionary<string, object?>>))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(DateTimeOffset))]
internal sealed partial class AgentStatusJson : JsonSerializerContext;

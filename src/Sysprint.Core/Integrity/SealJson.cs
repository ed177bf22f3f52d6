using System.Text.Json.Serialization;

namespace Sysprint.Integrity;

/// <summary>A seal's JSON, generated at build time (no reflection, so the native binary reads and writes it).</summary>
[JsonSerializable(typeof(Seal))]
internal sealed partial class SealJson : JsonSerializerContext;

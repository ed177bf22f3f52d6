using System.Text.Json.Serialization;

namespace Sysprint.Storage.Postgres;

/// <summary>The JSON the PostgreSQL store keeps in jsonb columns, generated at build time (no reflection).</summary>
[JsonSerializable(typeof(Dictionary<string, long>))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, long>))]
internal sealed partial class PostgresJson : JsonSerializerContext;

using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Sysprint.Agent.Sinks;
using Sysprint.Diagnostics;

namespace Sysprint.Agent.Hosting;

/// <summary>
/// Checks the agent's config file key by key before it is deserialised, so that a mistake is
/// reported as <c>path:line:col</c>, naming the key, the type it takes and, for an unknown key, the
/// valid ones (System.Text.Json's own messages name .NET types instead).
/// </summary>
internal static class ConfigKeys
{
    private static readonly JsonReaderOptions s_reader = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>What each key of an object takes: the config's top level, and <c>sinks</c>.</summary>
    private static readonly Dictionary<Type, IReadOnlyDictionary<string, KeyType>> s_keys = new()
    {
        [typeof(AgentConfig)] = KeysOf(AgentConfigJson.Default.AgentConfig),
        [typeof(SinkSettings)] = KeysOf(AgentConfigJson.Default.SinkSettings),
    };

    /// <summary>The config's keys, in the order the type declares them.</summary>
    public static IReadOnlyList<string> Names(Type type) => [.. s_keys[type].Keys];

    /// <exception cref="SysprintException">A key is unknown, or its value is not of its type (65), with the position and what was expected.</exception>
    public static void Check(byte[] utf8, string path)
    {
        var reader = new Utf8JsonReader(utf8, s_reader);
        try
        {
            if (!reader.Read())
            {
                return;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw Error(utf8, reader, path, $"the config must be a JSON object ({{ \"key\": value, ... }}), found {Found(reader)}");
            }

            CheckObject(utf8, ref reader, path, typeof(AgentConfig), "");
        }
        catch (JsonException)
        {
            // Not JSON at all: the deserialiser reports it, with its position.
        }
    }

    private static void CheckObject(byte[] utf8, ref Utf8JsonReader reader, string path, Type type, string prefix)
    {
        IReadOnlyDictionary<string, KeyType> keys = s_keys[type];
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string key = reader.GetString()!;
            string name = prefix + key;
            if (!keys.TryGetValue(key, out KeyType expected))
            {
                throw Error(utf8, reader, path, $"unknown key '{Printable.Escape(name)}'{Suggest(key, keys.Keys)}; the valid keys{(prefix.Length == 0 ? "" : " of '" + prefix.TrimEnd('.') + "'")} are {string.Join(", ", keys.Keys)}");
            }

            reader.Read();
            if (s_keys.ContainsKey(expected.Type) && reader.TokenType == JsonTokenType.StartObject)
            {
                CheckObject(utf8, ref reader, path, expected.Type, name + ".");
                continue;
            }

            if (!Fits(ref reader, expected))
            {
                throw Error(utf8, reader, path, $"'{name}' takes {Describe(expected)}, found {Found(reader)}");
            }
        }
    }

    /// <summary>True when the value under the reader fits <paramref name="key"/>; the reader is left on its last token.</summary>
    private static bool Fits(ref Utf8JsonReader reader, KeyType key)
    {
        Type plain = Nullable.GetUnderlyingType(key.Type) ?? key.Type;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return key.CanBeNull;
        }

        if (plain == typeof(string))
        {
            return reader.TokenType == JsonTokenType.String;
        }

        if (plain == typeof(bool))
        {
            return reader.TokenType is JsonTokenType.True or JsonTokenType.False;
        }

        if (plain == typeof(int))
        {
            return reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out _);
        }

        if (plain == typeof(double))
        {
            return reader.TokenType == JsonTokenType.Number;
        }

        if (plain == typeof(IReadOnlyList<string>))
        {
            return Items(ref reader, JsonTokenType.StartArray, JsonTokenType.EndArray, named: false);
        }

        if (plain == typeof(IReadOnlyDictionary<string, string>))
        {
            return Items(ref reader, JsonTokenType.StartObject, JsonTokenType.EndObject, named: true);
        }

        return false;
    }

    /// <summary>An array of strings, or an object whose values are strings; the reader stops at the first item that is not.</summary>
    private static bool Items(ref Utf8JsonReader reader, JsonTokenType start, JsonTokenType end, bool named)
    {
        if (reader.TokenType != start)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType != end)
        {
            if (named)
            {
                reader.Read();
            }

            if (reader.TokenType != JsonTokenType.String)
            {
                return false;
            }
        }

        return true;
    }

    private static string Describe(KeyType key)
    {
        Type plain = Nullable.GetUnderlyingType(key.Type) ?? key.Type;
        string text = plain == typeof(string) ? "a string"
            : plain == typeof(bool) ? "true or false"
            : plain == typeof(int) ? "a whole number"
            : plain == typeof(double) ? "a number"
            : plain == typeof(IReadOnlyList<string>) ? "an array of strings"
            : plain == typeof(IReadOnlyDictionary<string, string>) ? "an object of strings ({ \"name\": \"value\" })"
            : "an object";
        return key.CanBeNull ? text + " or null" : text;
    }

    private static string Found(Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => $"the string \"{Printable.Escape(Cut(reader.GetString() ?? ""))}\"",
        JsonTokenType.Number => "the number " + Encoding.UTF8.GetString(reader.ValueSpan),
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        _ => reader.TokenType.ToString(),
    };

    private static string Cut(string text) => text.Length <= 40 ? text : text[..40] + "...";

    private static string Suggest(string key, IEnumerable<string> keys)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in keys)
        {
            int distance = Distance(key, candidate);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best is not null && bestDistance <= Math.Max(2, key.Length / 3) ? $" (did you mean '{best}'?)" : "";
    }

    private static int Distance(string a, string b)
    {
        var row = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            row[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }

        return row[b.Length];
    }

    private static SysprintException Error(byte[] utf8, Utf8JsonReader reader, string path, string message)
    {
        int at = (int)Math.Min(reader.TokenStartIndex, utf8.Length);
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < at; i++)
        {
            if (utf8[i] == (byte)'\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        int column = Encoding.UTF8.GetCharCount(utf8, lineStart, at - lineStart) + 1;
        return new SysprintException(ErrorKind.MalformedInput, $"{path}:{line}:{column}: {message}");
    }

    /// <summary>
    /// The keys as the generated serializer reads them ([JsonPropertyName]), with their types and
    /// whether null is allowed (a nullable annotation): no reflection, so the native binary has them too.
    /// </summary>
    private static Dictionary<string, KeyType> KeysOf(JsonTypeInfo type)
    {
        var keys = new Dictionary<string, KeyType>(StringComparer.Ordinal);
        foreach (JsonPropertyInfo property in type.Properties)
        {
            if (property.Set is null)
            {
                // Ignored ([JsonIgnore]) or computed: not a key the file may hold.
                continue;
            }

            bool canBeNull = Nullable.GetUnderlyingType(property.PropertyType) is not null || property.IsSetNullable;
            keys[property.Name] = new KeyType(property.PropertyType, canBeNull);
        }

        return keys;
    }

    /// <summary>A key's type, and whether null is a value it takes.</summary>
    private readonly record struct KeyType(Type Type, bool CanBeNull);
}

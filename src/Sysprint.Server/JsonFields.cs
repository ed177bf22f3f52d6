using System.Globalization;
using System.Text.Json;

namespace Sysprint.Server;

/// <summary>Typed reads of a request's JSON members; a wrong one throws <see cref="BadRequestException"/> naming its path (<c>$.alerts[3].uuid</c>).</summary>
internal static class JsonFields
{
    public const int MaxStringLength = 64 * 1024;

    public static void RequireObject(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new BadRequestException($"{path}: expected an object, found {Kind(element)}");
        }
    }

    public static string String(JsonElement parent, string name, string path, int maxLength = MaxStringLength) =>
        OptionalString(parent, name, path, maxLength) ?? throw new BadRequestException($"{path}.{name}: expected a string, found {(parent.TryGetProperty(name, out JsonElement v) ? Kind(v) : "nothing")}");

    public static string? OptionalString(JsonElement parent, string name, string path, int maxLength = MaxStringLength)
    {
        if (!parent.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new BadRequestException($"{path}.{name}: expected a string, found {Kind(value)}");
        }

        string text = value.GetString()!;
        return text.Length <= maxLength ? text
            : throw new BadRequestException(string.Create(CultureInfo.InvariantCulture, $"{path}.{name}: longer than {maxLength} characters"));
    }

    public static long Count(JsonElement parent, string name, string path)
    {
        if (!parent.TryGetProperty(name, out JsonElement value))
        {
            return 0;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long n) && n >= 0 ? n
            : throw new BadRequestException($"{path}.{name}: expected a whole number of at least 0, found {Kind(value)}");
    }

    public static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "the number " + value.GetRawText(),
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}

using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Sysprint.Server;

/// <summary>
/// The API's small answers: JSON objects with snake_case names, errors as <c>{"error": "..."}</c>.
/// Built as <see cref="JsonObject"/>s, not serialised from .NET objects by reflection, so that the
/// native (AOT) binary answers them the same; larger documents are written with a
/// <see cref="Utf8JsonWriter"/> (<see cref="AdminApi.Json"/>).
/// </summary>
internal static class ApiJson
{
    public const string ContentType = "application/json; charset=utf-8";

    private static readonly JsonSerializerOptions s_options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IResult Ok(JsonObject value, int status = StatusCodes.Status200OK)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Results.Text(value.ToJsonString(s_options), ContentType, Encoding.UTF8, status);
    }

    public static IResult Error(int status, string message) => Ok(ErrorObject(message), status);

    /// <summary>Writes <c>{"error": MESSAGE}</c> as the response's body (the status is the caller's).</summary>
    public static Task WriteErrorAsync(HttpResponse response, string message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.ContentType = ContentType;
        return response.WriteAsync(ErrorObject(message).ToJsonString(s_options), Encoding.UTF8, cancellationToken);
    }

    private static JsonObject ErrorObject(string message) => new() { ["error"] = message };
}

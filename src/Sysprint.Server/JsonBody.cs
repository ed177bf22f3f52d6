using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Sysprint.Server;

/// <summary>
/// Reads a request's JSON body within a size limit. A body too large is 413, one that does not
/// parse is 400 with <c>request body:LINE:COL: what is wrong</c>.
/// </summary>
internal static class JsonBody
{
    private static readonly JsonDocumentOptions s_options = new() { MaxDepth = 16 };

    public static async Task<(JsonDocument? Document, IResult? Error)> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return (null, TooLarge(limit));
        }

        if (request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, ApiJson.Error(StatusCodes.Status415UnsupportedMediaType, "expected Content-Type: application/json"));
        }

        using var buffer = new MemoryStream();
        byte[] chunk = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                if (buffer.Length + read > limit)
                {
                    return (null, TooLarge(limit));
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(limit));
        }

        try
        {
            return (JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), s_options), null);
        }
        catch (JsonException e)
        {
            long line = (e.LineNumber ?? 0) + 1;
            long column = (e.BytePositionInLine ?? 0) + 1;
            string message = e.Message;
            int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            return (null, ApiJson.Error(StatusCodes.Status400BadRequest,
                string.Create(CultureInfo.InvariantCulture, $"request body:{line}:{column}: {(cut > 0 ? message[..cut] : message)}")));
        }
    }

    private static IResult TooLarge(int limit) =>
        ApiJson.Error(StatusCodes.Status413PayloadTooLarge, string.Create(CultureInfo.InvariantCulture, $"request body larger than {limit} bytes"));
}

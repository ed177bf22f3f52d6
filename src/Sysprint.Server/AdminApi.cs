using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sysprint.Fleet;
using Sysprint.Storage;

namespace Sysprint.Server;

/// <summary>
/// What administrators (and the console) call, every endpoint behind <c>Authorization: Bearer
/// ADMIN_TOKEN</c>: <c>GET /api/hosts</c>, <c>POST /api/hosts/{name}/revoke</c>,
/// <c>GET|POST /api/enroll-tokens</c>, <c>POST /api/enroll-tokens/{id}/revoke</c>; the alerts, profiles and
/// console endpoints are in <see cref="Console.ConsoleApi"/>. The token may also be the console's session (<see cref="Console.AdminAuthorization"/>).
/// </summary>
internal static class AdminApi
{
    public const int MaxPage = 1000;

    public static void Map(IEndpointRouteBuilder app, ServeOptions options, IFleetStore store, TimeProvider clock)
    {
        RouteGroupBuilder admin = app.MapGroup("/api");
        admin.AddEndpointFilter(async (context, next) =>
        {
            Console.AdminAuthorization.Authorize(context.HttpContext, options.AdminTokenHash, clock);
            return await next(context).ConfigureAwait(false);
        });

        admin.MapGet("/hosts", async (HttpContext context) =>
        {
            IReadOnlyList<FleetHost> hosts = await store.ListHostsAsync(context.RequestAborted).ConfigureAwait(false);
            DateTimeOffset now = clock.GetUtcNow();
            return Json(json =>
            {
                json.WriteStartObject();
                json.WriteStartArray("hosts");
                foreach (FleetHost host in hosts)
                {
                    FleetJson.WriteHost(json, host, now);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            });
        });

        admin.MapPost("/hosts/{name}/revoke", async (string name, HttpContext context) =>
            await store.RevokeHostAsync(name, clock.GetUtcNow(), context.RequestAborted).ConfigureAwait(false)
                ? ApiJson.Ok(new JsonObject { ["host"] = name, ["revoked"] = true })
                : ApiJson.Error(StatusCodes.Status404NotFound, $"no host named '{Diagnostics.Printable.Escape(name)}'"));

        admin.MapGet("/enroll-tokens", async (HttpContext context) =>
        {
            IReadOnlyList<EnrollSecret> secrets = await store.ListEnrollSecretsAsync(context.RequestAborted).ConfigureAwait(false);
            return ApiJson.Ok(new JsonObject
            {
                ["enroll_tokens"] = new JsonArray([.. secrets.Select(s => new JsonObject
                {
                    ["id"] = s.Id,
                    ["group"] = s.Group,
                    ["created"] = FleetJson.TimeText(s.Created),
                    ["expires"] = s.Expires is { } e ? FleetJson.TimeText(e) : null,
                    ["revoked"] = s.Revoked is { } r ? FleetJson.TimeText(r) : null,
                })]),
            });
        });

        admin.MapPost("/enroll-tokens", async (HttpContext context) =>
        {
            var (body, error) = await JsonBody.ReadAsync(context.Request, options.MaxSmallBodyBytes, context.RequestAborted).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            using JsonDocument document = body!;
            JsonElement root = document.RootElement;
            JsonFields.RequireObject(root, "$");
            string group = JsonFields.OptionalString(root, "group", "$", HostNames.MaxLength) ?? EnrollTokens.DefaultGroup;
            TimeSpan? validFor = root.TryGetProperty("expires_s", out JsonElement e) && e.ValueKind != JsonValueKind.Null
                ? TimeSpan.FromSeconds(JsonFields.Count(root, "expires_s", "$"))
                : null;
            try
            {
                var (stored, secret) = await EnrollTokens.CreateAsync(store, group, validFor, clock.GetUtcNow(), context.RequestAborted).ConfigureAwait(false);
                return ApiJson.Ok(new JsonObject
                {
                    ["id"] = stored.Id,
                    ["group"] = stored.Group,
                    ["expires"] = stored.Expires is { } x ? FleetJson.TimeText(x) : null,
                    ["secret"] = secret,
                }, StatusCodes.Status201Created);
            }
            catch (Diagnostics.SysprintException ex) when (ex.Kind == Diagnostics.ErrorKind.Usage)
            {
                return ApiJson.Error(StatusCodes.Status400BadRequest, ex.Message);
            }
        });

        admin.MapPost("/enroll-tokens/{id:long}/revoke", async (long id, HttpContext context) =>
            await store.RevokeEnrollSecretAsync(id, clock.GetUtcNow(), context.RequestAborted).ConfigureAwait(false)
                ? ApiJson.Ok(new JsonObject { ["id"] = id, ["revoked"] = true })
                : ApiJson.Error(StatusCodes.Status404NotFound, string.Create(CultureInfo.InvariantCulture, $"no enrollment secret {id}")));
    }

    internal static long Number(IQueryCollection query, string name, long fallback, long min, long max)
    {
        string? text = query[name].FirstOrDefault();
        if (text is null)
        {
            return fallback;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n >= min && n <= max ? n
            : throw new BadRequestException(string.Create(CultureInfo.InvariantCulture,
                $"?{name}={Diagnostics.Printable.Escape(text)}: expected a whole number from {min} to {max}"));
    }

    internal static IResult Json(Action<Utf8JsonWriter> write) => Results.Text(FleetJson.ToText(write), "application/json; charset=utf-8");
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sysprint.Fleet;
using Sysprint.Storage;

namespace Sysprint.Server;

/// <summary>
/// What administrators (and the console) call, every endpoint behind <c>Authorization: Bearer
/// ADMIN_TOKEN</c>: <c>GET /api/hosts</c>, <c>POST /api/hosts/{name}/revoke</c>,
/// <c>GET /api/alerts?host=&amp;limit=&amp;before=</c>, <c>GET|POST /api/enroll-tokens</c>,
/// <c>POST /api/enroll-tokens/{id}/revoke</c>.
/// </summary>
internal static class AdminApi
{
    public const int MaxPage = 1000;

    public static void Map(IEndpointRouteBuilder app, ServeOptions options, IFleetStore store, TimeProvider clock)
    {
        RouteGroupBuilder admin = app.MapGroup("/api");
        admin.AddEndpointFilter(async (context, next) =>
        {
            Authorize(context.HttpContext.Request, options.AdminTokenHash);
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
                ? ApiJson.Ok(new { Host = name, Revoked = true })
                : ApiJson.Error(StatusCodes.Status404NotFound, $"no host named '{Diagnostics.Printable.Escape(name)}'"));

        admin.MapGet("/alerts", async (HttpContext context) =>
        {
            IQueryCollection q = context.Request.Query;
            var query = new FleetAlertQuery
            {
                Host = q["host"].FirstOrDefault() is { Length: > 0 } host ? host : null,
                Limit = (int)Number(q, "limit", 100, 1, MaxPage),
                BeforeSeq = q.ContainsKey("before") ? Number(q, "before", 0, 1, long.MaxValue) : null,
            };
            IReadOnlyList<FleetAlert> alerts = await store.ListAlertsAsync(query, context.RequestAborted).ConfigureAwait(false);
            return Json(json =>
            {
                json.WriteStartObject();
                json.WriteStartArray("alerts");
                foreach (FleetAlert alert in alerts)
                {
                    FleetJson.WriteAlert(json, alert);
                }

                json.WriteEndArray();
                if (alerts.Count == query.Limit)
                {
                    json.WriteNumber("next_before", alerts[^1].Seq);
                }
                else
                {
                    json.WriteNull("next_before");
                }

                json.WriteEndObject();
            });
        });

        admin.MapGet("/enroll-tokens", async (HttpContext context) =>
        {
            IReadOnlyList<EnrollSecret> secrets = await store.ListEnrollSecretsAsync(context.RequestAborted).ConfigureAwait(false);
            return ApiJson.Ok(new
            {
                EnrollTokens = secrets.Select(s => new
                {
                    s.Id,
                    s.Group,
                    Created = FleetJson.TimeText(s.Created),
                    Expires = s.Expires is { } e ? FleetJson.TimeText(e) : null,
                    Revoked = s.Revoked is { } r ? FleetJson.TimeText(r) : null,
                }),
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
                return ApiJson.Ok(new
                {
                    stored.Id,
                    stored.Group,
                    Expires = stored.Expires is { } x ? FleetJson.TimeText(x) : null,
                    Secret = secret,
                }, StatusCodes.Status201Created);
            }
            catch (Diagnostics.SysprintException ex) when (ex.ExitCode == Diagnostics.ExitCodes.Usage)
            {
                return ApiJson.Error(StatusCodes.Status400BadRequest, ex.Message);
            }
        });

        admin.MapPost("/enroll-tokens/{id:long}/revoke", async (long id, HttpContext context) =>
            await store.RevokeEnrollSecretAsync(id, clock.GetUtcNow(), context.RequestAborted).ConfigureAwait(false)
                ? ApiJson.Ok(new { Id = id, Revoked = true })
                : ApiJson.Error(StatusCodes.Status404NotFound, string.Create(CultureInfo.InvariantCulture, $"no enrollment secret {id}")));
    }

    /// <summary>The admin token, compared in constant time through its hash; no token configured means no admin access at all.</summary>
    private static void Authorize(HttpRequest request, byte[]? tokenHash)
    {
        if (tokenHash is null)
        {
            throw new BadRequestException("the admin API is off: start serve with --admin-token-file", StatusCodes.Status401Unauthorized);
        }

        string? token = HostAuthentication.Bearer(request);
        if (token is null || token.Length > 1024
            || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(token)), tokenHash))
        {
            throw new BadRequestException("expected Authorization: Bearer ADMIN_TOKEN", StatusCodes.Status401Unauthorized);
        }
    }

    private static long Number(IQueryCollection query, string name, long fallback, long min, long max)
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

    private static IResult Json(Action<Utf8JsonWriter> write) => Results.Text(FleetJson.ToText(write), "application/json; charset=utf-8");
}

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
/// What agents call: <c>POST /api/agent/enroll</c> (enrollment secret → credential),
/// <c>POST /api/agent/heartbeat</c> and <c>POST /api/agent/alerts</c> (with the credential).
/// </summary>
internal static class AgentApi
{
    public static void Map(IEndpointRouteBuilder app, ServeOptions options, IFleetStore store, TimeProvider clock)
    {
        app.MapPost("/api/agent/enroll", async (HttpContext context) =>
        {
            CancellationToken ct = context.RequestAborted;
            var (body, error) = await JsonBody.ReadAsync(context.Request, options.MaxSmallBodyBytes, ct).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            using JsonDocument document = body!;
            JsonElement root = document.RootElement;
            JsonFields.RequireObject(root, "$");
            string secret = JsonFields.String(root, "enroll_secret", "$", 128);
            string name = JsonFields.String(root, "host", "$", HostNames.MaxLength);
            if (!HostNames.IsValid(name))
            {
                throw new BadRequestException($"$.host: '{Diagnostics.Printable.Escape(name)}' is not a host name (letters, digits, '.', '-', '_'; at most 253)");
            }

            if (!FleetSecrets.LooksLike(secret, FleetSecrets.EnrollPrefix))
            {
                throw new BadRequestException("unknown enrollment secret", StatusCodes.Status401Unauthorized);
            }

            string credential = FleetSecrets.New(FleetSecrets.CredentialPrefix);
            var (outcome, host) = await store.EnrollAsync(FleetSecrets.Hash(secret), name, FleetSecrets.Hash(credential), options.HeartbeatInterval,
                clock.GetUtcNow(), ct).ConfigureAwait(false);
            return outcome switch
            {
                EnrollOutcome.Enrolled => ApiJson.Ok(new JsonObject
                {
                    ["host"] = host!.Name,
                    ["group"] = host.Group,
                    ["credential"] = credential,
                    ["heartbeat_interval_s"] = (int)options.HeartbeatInterval.TotalSeconds,
                }, StatusCodes.Status201Created),
                EnrollOutcome.UnknownSecret => ApiJson.Error(StatusCodes.Status401Unauthorized, "unknown enrollment secret"),
                EnrollOutcome.Expired => ApiJson.Error(StatusCodes.Status401Unauthorized, "the enrollment secret has expired"),
                EnrollOutcome.Revoked => ApiJson.Error(StatusCodes.Status401Unauthorized, "the enrollment secret was revoked"),
                _ => ApiJson.Error(StatusCodes.Status409Conflict,
                    $"a host named '{name}' is already enrolled: a name is not taken over; enroll under another --host"),
            };
        });

        app.MapPost("/api/agent/heartbeat", async (HttpContext context) =>
        {
            CancellationToken ct = context.RequestAborted;
            FleetHost host = await HostAuthentication.AuthenticateAsync(context.Request, store, ct).ConfigureAwait(false);
            var (body, error) = await JsonBody.ReadAsync(context.Request, options.MaxSmallBodyBytes, ct).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            using JsonDocument document = body!;
            FleetHeartbeat heartbeat = ParseHeartbeat(document.RootElement);
            await store.RecordHeartbeatAsync(host.Id, heartbeat, clock.GetUtcNow(), ct).ConfigureAwait(false);
            return ApiJson.Ok(new JsonObject { ["host"] = host.Name, ["heartbeat_interval_s"] = (int)options.HeartbeatInterval.TotalSeconds });
        });

        app.MapPost("/api/agent/alerts", async (HttpContext context) =>
        {
            CancellationToken ct = context.RequestAborted;
            FleetHost host = await HostAuthentication.AuthenticateAsync(context.Request, store, ct).ConfigureAwait(false);
            var (body, error) = await JsonBody.ReadAsync(context.Request, options.MaxBodyBytes, ct).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            using JsonDocument document = body!;
            List<AlertUpload> alerts = AlertParser.Parse(document.RootElement, host.Name, options.MaxAlertsPerBatch);
            int stored = await store.AddAlertsAsync(host.Id, alerts, clock.GetUtcNow(), ct).ConfigureAwait(false);
            return ApiJson.Ok(new JsonObject { ["received"] = alerts.Count, ["stored"] = stored });
        });
    }

    private static FleetHeartbeat ParseHeartbeat(JsonElement root)
    {
        JsonFields.RequireObject(root, "$");
        var pending = new Dictionary<string, long>(StringComparer.Ordinal);
        if (root.TryGetProperty("pending", out JsonElement sinks) && sinks.ValueKind != JsonValueKind.Null)
        {
            JsonFields.RequireObject(sinks, "$.pending");
            foreach (JsonProperty sink in sinks.EnumerateObject())
            {
                if (pending.Count >= 64 || sink.Name.Length > 1024)
                {
                    throw new BadRequestException("$.pending: at most 64 sinks, each name at most 1024 characters");
                }

                pending[sink.Name] = sink.Value.ValueKind == JsonValueKind.Number && sink.Value.TryGetInt64(out long n) && n >= 0 ? n
                    : throw new BadRequestException(string.Create(CultureInfo.InvariantCulture,
                        $"$.pending[\"{Diagnostics.Printable.Escape(sink.Name)}\"]: expected a whole number of at least 0, found {JsonFields.Kind(sink.Value)}"));
            }
        }

        List<VmChecks>? vms = null;
        if (root.TryGetProperty("vms", out JsonElement list) && list.ValueKind != JsonValueKind.Null)
        {
            if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() > VmChecks.MaxPerHeartbeat)
            {
                throw new BadRequestException(string.Create(CultureInfo.InvariantCulture,
                    $"$.vms: expected an array of at most {VmChecks.MaxPerHeartbeat} VMs, found {JsonFields.Kind(list)}"));
            }

            vms = [];
            int i = 0;
            foreach (JsonElement vm in list.EnumerateArray())
            {
                string path = string.Create(CultureInfo.InvariantCulture, $"$.vms[{i++}]");
                JsonFields.RequireObject(vm, path);
                string lastCheck = JsonFields.String(vm, "last_check", path, 64);
                vms.Add(new VmChecks(JsonFields.String(vm, "vm", path, 256),
                    DateTimeOffset.TryParse(lastCheck, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset time)
                        ? time
                        : throw new BadRequestException($"{path}.last_check: expected an ISO-8601 time, found '{Diagnostics.Printable.Escape(lastCheck)}'"),
                    JsonFields.Count(vm, "logs", path), JsonFields.Count(vm, "anomalous", path), JsonFields.Count(vm, "failed", path)));
            }
        }

        return new FleetHeartbeat(JsonFields.String(root, "version", "$", 128), JsonFields.Count(root, "lag_bytes", "$"), JsonFields.Count(root, "files", "$"),
            pending, JsonFields.OptionalString(root, "last_error", "$", 4096))
        {
            Vms = vms,
            VmsTotal = vms is null ? null : root.TryGetProperty("vms_total", out _) ? JsonFields.Count(root, "vms_total", "$") : vms.Count,
        };
    }
}

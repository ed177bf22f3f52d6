using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sysprint.Fleet;
using Sysprint.Storage;

namespace Sysprint.Server.Console;

/// <summary>
/// The JSON API under the console's pages, every endpoint behind the admin token (bearer) or the
/// console's session (<see cref="AdminAuthorization"/>):
/// <c>GET /api/alerts</c> (filters <c>host</c>, <c>vm</c>, <c>program</c>, <c>detector</c>,
/// <c>status</c>, <c>since</c>, <c>until</c>; paging <c>limit</c>, <c>before</c>),
/// <c>GET /api/alerts/{seq}</c>, <c>POST /api/alerts/{seq}/acknowledge {note}</c>,
/// <c>POST /api/alerts/{seq}/normal {confirm: true, note}</c>, <c>GET /api/overview</c>,
/// <c>GET /api/hosts/{name}</c>, <c>GET /api/profiles</c>, <c>GET /api/profiles/{name}</c>,
/// <c>POST /api/profiles/{name}/groups {groups}</c>,
/// <c>GET /api/changes</c>, <c>GET /api/session</c> and <c>GET /api/events</c> (server-sent events).
/// </summary>
internal static class ConsoleApi
{
    public const int MaxFilterLength = 256;

    public const int MaxNoteLength = 2000;

    public static void Map(IEndpointRouteBuilder app, ServeOptions options, IFleetStore fleet, TimeProvider clock)
    {
        RouteGroupBuilder api = app.MapGroup("/api");
        api.AddEndpointFilter(async (context, next) =>
        {
            AdminAuthorization.Authorize(context.HttpContext, options.AdminTokenHash, clock);
            return await next(context).ConfigureAwait(false);
        });
        IConsoleStore? store = fleet.Console;
        var profiles = new ProfilesView(options.OpenFingerprints);
        var logs = new LogContext(options.LogsRoots);
        app.ServiceProvider.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(profiles.Dispose);

        api.MapGet("/session", (HttpContext context) =>
        {
            var session = context.Items[nameof(ConsoleSession)] as ConsoleSession;
            return ApiJson.Ok(new JsonObject
            {
                ["user"] = AdminAuthorization.Actor(context),
                ["csrf"] = session?.CsrfToken(ConsoleSession.Key(options.AdminTokenHash!)),
                ["expires"] = session is null ? null : FleetJson.TimeText(session.Expires),
            });
        });

        api.MapGet("/alerts", async (HttpContext context) =>
        {
            IConsoleStore s = Require(store);
            ConsoleAlertQuery query = ParseQuery(context.Request.Query);
            AlertPage page = await s.QueryAlertsAsync(query, context.RequestAborted).ConfigureAwait(false);
            IReadOnlyDictionary<long, FleetSeen?[]> seen = await s.FleetSeenAsync([.. page.Alerts.Select(a => a.Alert.Seq)], clock.GetUtcNow(), context.RequestAborted)
                .ConfigureAwait(false);
            return AdminApi.Json(json =>
            {
                json.WriteStartObject();
                json.WriteStartArray("alerts");
                foreach (ConsoleAlert alert in page.Alerts)
                {
                    ConsoleJson.WriteAlert(json, alert, seen.GetValueOrDefault(alert.Alert.Seq, []));
                }

                json.WriteEndArray();
                json.WriteNumber("total", page.Total);
                json.WriteBoolean("total_exact", page.TotalExact);
                if (page.Alerts.Count == query.Limit)
                {
                    json.WriteNumber("next_before", page.Alerts[^1].Alert.Seq);
                }
                else
                {
                    json.WriteNull("next_before");
                }

                json.WriteEndObject();
            });
        });

        api.MapGet("/alerts/{seq:long}", async (long seq, HttpContext context) =>
        {
            IConsoleStore s = Require(store);
            CancellationToken ct = context.RequestAborted;
            ConsoleAlert? alert = await s.FindAlertAsync(seq, ct).ConfigureAwait(false);
            if (alert is null)
            {
                return NoSuchAlert(seq);
            }

            AlertExplanation explanation = AlertExplanation.Of(alert);
            FleetSeen?[] perMismatch = (await s.FleetSeenAsync([seq], clock.GetUtcNow(), ct).ConfigureAwait(false)).GetValueOrDefault(seq, []);
            FleetSeen? seen = perMismatch.Length > 0 ? perMismatch[0] : null;
            IReadOnlyList<ConsoleChange> changes = await s.ListChangesAsync(alert.Alert.Profile, 20, ct).ConfigureAwait(false);
            return AdminApi.Json(json =>
            {
                json.WriteStartObject();
                json.WritePropertyName("alert");
                ConsoleJson.WriteAlert(json, alert, perMismatch);
                json.WritePropertyName("explanation");
                explanation.Write(json);
                json.WritePropertyName("fleet");
                ConsoleJson.WriteSeen(json, seen);
                json.WriteStartArray("log_context");
                foreach (long line in MismatchLines(alert, explanation))
                {
                    json.WriteStartObject();
                    json.WriteNumber("line", line);
                    logs.Write(json, alert.Alert.Log, line);
                    json.WriteEndObject();
                }

                json.WriteEndArray();

                json.WriteStartArray("changes");
                foreach (ConsoleChange change in changes.Where(c => c.AlertSeq == seq))
                {
                    ConsoleJson.WriteChange(json, change);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            });
        });

        api.MapPost("/alerts/{seq:long}/acknowledge", async (long seq, HttpContext context) =>
        {
            IConsoleStore s = Require(store);
            CancellationToken ct = context.RequestAborted;
            var (body, error) = await JsonBody.ReadAsync(context.Request, options.MaxSmallBodyBytes, ct).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            using JsonDocument document = body!;
            JsonElement root = document.RootElement;
            JsonFields.RequireObject(root, "$");
            string note = JsonFields.OptionalString(root, "note", "$", MaxNoteLength) ?? "";
            string actor = Actor(context, root);
            DateTimeOffset now = clock.GetUtcNow();
            return await s.AcknowledgeAlertAsync(seq, note, actor, now, ct).ConfigureAwait(false)
                ? ApiJson.Ok(new JsonObject { ["seq"] = seq, ["status"] = AlertStatusNames.Acknowledged, ["status_by"] = actor, ["status_at"] = FleetJson.TimeText(now) })
                : NoSuchAlert(seq);
        });

        api.MapPost("/alerts/{seq:long}/normal", async (long seq, HttpContext context) =>
        {
            IConsoleStore s = Require(store);
            CancellationToken ct = context.RequestAborted;
            var (body, error) = await JsonBody.ReadAsync(context.Request, options.MaxSmallBodyBytes, ct).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            using JsonDocument document = body!;
            JsonElement root = document.RootElement;
            JsonFields.RequireObject(root, "$");
            if (!root.TryGetProperty("confirm", out JsonElement confirm) || confirm.ValueKind != JsonValueKind.True)
            {
                throw new BadRequestException("$.confirm: expected true: \"this is normal\" changes the profile that every host checks against; confirm it");
            }

            string note = JsonFields.OptionalString(root, "note", "$", MaxNoteLength) ?? "";
            string actor = Actor(context, root);
            ConsoleAlert alert = await s.FindAlertAsync(seq, ct).ConfigureAwait(false)
                ?? throw new BadRequestException(string.Create(CultureInfo.InvariantCulture, $"no alert {seq}"), StatusCodes.Status404NotFound);
            DateTimeOffset now = clock.GetUtcNow();
            NormalLearner.Outcome learnt = profiles.Use(store => NormalLearner.Learn(store, alert, actor, now));
            string detail = string.Create(CultureInfo.InvariantCulture,
                $"learnt '{string.Join("', '", learnt.Windows)}' into profile '{learnt.Profile}' as normal ({learnt.NewTransitions} new) from alert {seq} of host {alert.Alert.Host}")
                + (note.Length > 0 ? ": " + note : "");
            int dismissed = await s.DismissAlertsAsync(seq, alert.Alert.Profile, learnt.Windows, note, actor, detail, now, ct).ConfigureAwait(false);
            return ApiJson.Ok(new JsonObject
            {
                ["seq"] = seq,
                ["status"] = AlertStatusNames.Dismissed,
                ["profile"] = learnt.Profile,
                ["window"] = learnt.Window,
                ["windows"] = new JsonArray([.. learnt.Windows.Select(w => (JsonNode?)JsonValue.Create(w))]),
                ["new_transitions"] = learnt.NewTransitions,
                ["dismissed"] = dismissed,
                ["status_by"] = actor,
                ["status_at"] = FleetJson.TimeText(now),
            });
        });

        api.MapGet("/overview", async (HttpContext context) =>
        {
            IConsoleStore s = Require(store);
            CancellationToken ct = context.RequestAborted;
            DateTimeOffset now = clock.GetUtcNow();
            DateTimeOffset since = now - TimeSpan.FromHours(24);
            IReadOnlyList<FleetHost> hosts = await fleet.ListHostsAsync(ct).ConfigureAwait(false);
            AlertCounts day = await s.CountAlertsAsync(since, 10, ct).ConfigureAwait(false);
            AlertPage newest = await s.QueryAlertsAsync(new ConsoleAlertQuery { Limit = 10 }, ct).ConfigureAwait(false);
            AlertPage unseen = await s.QueryAlertsAsync(new ConsoleAlertQuery { Limit = 1, Status = AlertStatus.New }, ct).ConfigureAwait(false);
            IReadOnlyList<ConsoleChange> changes = await s.ListChangesAsync(null, 10, ct).ConfigureAwait(false);
            IReadOnlyList<ProfilesView.Summary>? recent = profiles.TryRecentlyChanged(10, out string? profilesError);
            IReadOnlyDictionary<string, IReadOnlyList<string>> assigned = await fleet.ListProfileGroupsAsync(ct).ConfigureAwait(false);
            var states = new Dictionary<string, int>(StringComparer.Ordinal) { ["ok"] = 0, ["lagging"] = 0, ["silent"] = 0, ["revoked"] = 0 };
            foreach (FleetHost host in hosts)
            {
                states[FleetJson.StateName(host.StateAt(now))]++;
            }

            return AdminApi.Json(json =>
            {
                json.WriteStartObject();
                json.WriteString("now", FleetJson.TimeText(now));
                json.WriteStartObject("hosts");
                foreach (var (state, count) in states)
                {
                    json.WriteNumber(state, count);
                }

                json.WriteEndObject();
                json.WriteNumber("new_alerts", unseen.Total);
                json.WriteBoolean("new_alerts_exact", unseen.TotalExact);
                json.WriteStartObject("alerts_24h");
                ConsoleJson.WriteCounts(json, "by_hour", day.ByHour);
                ConsoleJson.WriteCounts(json, "by_host", day.ByHost);
                ConsoleJson.WriteCounts(json, "by_profile", day.ByProfile);
                json.WriteEndObject();
                json.WriteStartArray("newest");
                foreach (ConsoleAlert alert in newest.Alerts)
                {
                    ConsoleJson.WriteAlert(json, alert);
                }

                json.WriteEndArray();
                json.WriteStartArray("changes");
                foreach (ConsoleChange change in changes)
                {
                    ConsoleJson.WriteChange(json, change);
                }

                json.WriteEndArray();
                if (recent is null)
                {
                    json.WriteNull("profiles_changed");
                    json.WriteString("profiles_error", profilesError);
                }
                else
                {
                    json.WriteStartArray("profiles_changed");
                    foreach (ProfilesView.Summary summary in recent)
                    {
                        summary.Write(json, null, assigned.GetValueOrDefault(summary.Name));
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
            });
        });

        api.MapGet("/hosts/{name}", async (string name, HttpContext context) =>
        {
            IConsoleStore s = Require(store);
            CancellationToken ct = context.RequestAborted;
            FleetHost? host = (await fleet.ListHostsAsync(ct).ConfigureAwait(false)).FirstOrDefault(h => h.Name == name);
            if (host is null)
            {
                return ApiJson.Error(StatusCodes.Status404NotFound, $"no host named '{Diagnostics.Printable.Escape(name)}'");
            }

            IReadOnlyList<VmSeen> vms = await s.VmsOfHostAsync(name, ct).ConfigureAwait(false);
            DateTimeOffset now = clock.GetUtcNow();
            return AdminApi.Json(json =>
            {
                json.WriteStartObject();
                json.WritePropertyName("host");
                FleetJson.WriteHost(json, host, now);
                json.WriteStartArray("vms");
                foreach (VmSeen vm in vms)
                {
                    json.WriteStartObject();
                    json.WriteString("vm", vm.Vm);
                    json.WriteNumber("alerts", vm.Alerts);
                    ConsoleJson.WriteString(json, "last_alert", vm.Last is { } last ? FleetJson.TimeText(last) : null);
                    if (vm.Checks is { } checks)
                    {
                        json.WriteString("last_check", FleetJson.TimeText(checks.LastCheck));
                        json.WriteNumber("logs", checks.Logs);
                        json.WriteNumber("anomalous", checks.Anomalous);
                        json.WriteNumber("failed", checks.Failed);
                    }
                    else
                    {
                        json.WriteNull("last_check");
                        json.WriteNull("logs");
                        json.WriteNull("anomalous");
                        json.WriteNull("failed");
                    }
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            });
        });

        api.MapGet("/changes", async (HttpContext context) =>
        {
            IConsoleStore s = Require(store);
            string? profile = context.Request.Query["profile"].FirstOrDefault();
            int limit = (int)AdminApi.Number(context.Request.Query, "limit", 50, 1, AdminApi.MaxPage);
            IReadOnlyList<ConsoleChange> changes = await s.ListChangesAsync(profile, limit, context.RequestAborted).ConfigureAwait(false);
            return AdminApi.Json(json =>
            {
                json.WriteStartObject();
                json.WriteStartArray("changes");
                foreach (ConsoleChange change in changes)
                {
                    ConsoleJson.WriteChange(json, change);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            });
        });

        api.MapGet("/profiles", async (HttpContext context) =>
        {
            IConsoleStore s = Require(store);
            IReadOnlyList<ConsoleChange> changes = await s.ListChangesAsync(null, 200, context.RequestAborted).ConfigureAwait(false);
            IReadOnlyList<ProfilesView.Summary> list = profiles.Use(ProfilesView.List);
            IReadOnlyDictionary<string, IReadOnlyList<string>> assigned = await fleet.ListProfileGroupsAsync(context.RequestAborted).ConfigureAwait(false);
            return AdminApi.Json(json =>
            {
                json.WriteStartObject();
                json.WriteStartArray("profiles");
                foreach (ProfilesView.Summary summary in list)
                {
                    summary.Write(json, changes.FirstOrDefault(c => c.Profile == summary.Name && c.Action == "normal"), assigned.GetValueOrDefault(summary.Name));
                }

                json.WriteEndArray();
                json.WriteEndObject();
            });
        });

        api.MapGet("/profiles/{name}", async (string name, HttpContext context) =>
        {
            IConsoleStore s = Require(store);
            IReadOnlyList<ConsoleChange> changes = await s.ListChangesAsync(name, 20, context.RequestAborted).ConfigureAwait(false);
            IReadOnlyDictionary<string, IReadOnlyList<string>> assigned = await fleet.ListProfileGroupsAsync(context.RequestAborted).ConfigureAwait(false);
            string? text = profiles.Use(store => ProfilesView.Detail(store, name, changes, assigned.GetValueOrDefault(name)));
            return text is null
                ? ApiJson.Error(StatusCodes.Status404NotFound, $"no profile named '{Diagnostics.Printable.Escape(name)}'")
                : Results.Text(text, "application/json; charset=utf-8");
        });

        // Which groups' agents receive the profile: {"groups": ["web", "db"]}, [] for none, null for every group.
        api.MapPost("/profiles/{name}/groups", async (string name, HttpContext context) =>
        {
            var (body, error) = await JsonBody.ReadAsync(context.Request, options.MaxSmallBodyBytes, context.RequestAborted).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            using JsonDocument document = body!;
            JsonElement root = document.RootElement;
            JsonFields.RequireObject(root, "$");
            if (!root.TryGetProperty("groups", out JsonElement value) || value.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null))
            {
                throw new BadRequestException("$.groups: expected an array of group names, or null for every group");
            }

            List<string>? groups = null;
            if (value.ValueKind == JsonValueKind.Array)
            {
                groups = [];
                int i = 0;
                foreach (JsonElement group in value.EnumerateArray())
                {
                    if (group.ValueKind != JsonValueKind.String)
                    {
                        throw new BadRequestException(string.Create(CultureInfo.InvariantCulture, $"$.groups[{i}]: expected a group name, found {JsonFields.Kind(group)}"));
                    }

                    groups.Add(group.GetString()!);
                    i++;
                }

                groups = [.. groups.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
            }

            try
            {
                await ProfileGroups.SetAsync(fleet, name, groups, context.RequestAborted).ConfigureAwait(false);
            }
            catch (Diagnostics.SysprintException e) when (e.Kind is Diagnostics.ErrorKind.Usage or Diagnostics.ErrorKind.InputMissing)
            {
                return ApiJson.Error(e.Kind == Diagnostics.ErrorKind.Usage ? StatusCodes.Status400BadRequest : StatusCodes.Status404NotFound, e.Message);
            }

            return ApiJson.Ok(new JsonObject
            {
                ["profile"] = name,
                ["groups"] = groups is null ? null : new JsonArray([.. groups.Select(g => (JsonNode?)g)]),
            });
        });

        api.MapGet("/events", (HttpContext context) => LiveEvents.StreamAsync(context, fleet, Require(store), options.LivePollInterval, clock));
    }

    /// <summary>The lines of an alert's mismatches: each of its details' (check, run, attach; the first 20), else the agent's one.</summary>
    private static List<long> MismatchLines(ConsoleAlert alert, AlertExplanation explanation)
    {
        var lines = new List<long>();
        using JsonDocument document = JsonDocument.Parse(alert.Alert.Json);
        if (document.RootElement.TryGetProperty("details", out JsonElement details) && details.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement m in details.EnumerateArray())
            {
                if (lines.Count < 20 && m.ValueKind == JsonValueKind.Object && m.TryGetProperty("line", out JsonElement n) && n.TryGetInt64(out long line))
                {
                    lines.Add(line);
                }
            }
        }
        else if (explanation.Line is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }

    /// <summary>The console store behind the fleet store; a fleet store without one leaves the console's endpoints at 501.</summary>
    private static IConsoleStore Require(IConsoleStore? store) =>
        store ?? throw new BadRequestException("this fleet store keeps no alert status: the console needs PostgreSQL", StatusCodes.Status501NotImplemented);

    /// <summary>The signed-in name, or for the bearer token the request's optional <c>"by"</c> (a script names its operator), else <c>admin token</c>.</summary>
    private static string Actor(HttpContext context, JsonElement root)
    {
        string actor = AdminAuthorization.Actor(context);
        return actor == AdminAuthorization.TokenActor && JsonFields.OptionalString(root, "by", "$", 128) is { Length: > 0 } by
            ? by + " (admin token)"
            : actor;
    }

    private static IResult NoSuchAlert(long seq) => ApiJson.Error(StatusCodes.Status404NotFound, string.Create(CultureInfo.InvariantCulture, $"no alert {seq}"));

    /// <summary>Parses the alert filters; a bad one is 400 naming it and what it expects.</summary>
    internal static ConsoleAlertQuery ParseQuery(IQueryCollection q)
    {
        AlertStatus? status = null;
        if (Filter(q, "status") is { } statusName)
        {
            status = AlertStatusNames.TryParse(statusName, out AlertStatus parsed) ? parsed
                : throw new BadRequestException($"?status={Diagnostics.Printable.Escape(statusName)}: expected one of {string.Join(", ", AlertStatusNames.All)}");
        }

        return new ConsoleAlertQuery
        {
            Host = Filter(q, "host"),
            Vm = Filter(q, "vm"),
            Program = Filter(q, "program"),
            Detector = Filter(q, "detector"),
            Status = status,
            Since = Time(q, "since"),
            Until = Time(q, "until"),
            Limit = (int)AdminApi.Number(q, "limit", 100, 1, AdminApi.MaxPage),
            BeforeSeq = q.ContainsKey("before") ? AdminApi.Number(q, "before", 0, 1, long.MaxValue) : null,
        };
    }

    private static string? Filter(IQueryCollection q, string name)
    {
        string? text = q[name].FirstOrDefault();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return text.Length <= MaxFilterLength ? text
            : throw new BadRequestException(string.Create(CultureInfo.InvariantCulture, $"?{name}=: longer than {MaxFilterLength} characters"));
    }

    private static DateTimeOffset? Time(IQueryCollection q, string name)
    {
        string? text = Filter(q, name);
        if (text is null)
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset time)
            ? time
            : throw new BadRequestException($"?{name}={Diagnostics.Printable.Escape(text)}: expected an ISO-8601 time, e.g. 2026-12-02T10:00:00Z");
    }
}

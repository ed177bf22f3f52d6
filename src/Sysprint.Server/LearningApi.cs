using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sysprint.App.Fleet;
using Sysprint.Detection;
using Sysprint.Diagnostics;
using Sysprint.Fleet;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Storage;

namespace Sysprint.Server;

/// <summary>
/// Learning across the fleet. Agents: <c>POST /api/agent/learn</c> (host credential) uploads what
/// one finished log taught, during a window open for the host's group. Administrators (admin
/// token): <c>GET /api/learning-windows</c>, <c>POST /api/learning-windows {group, profile,
/// duration_s}</c>, <c>POST /api/learning-windows/{id}/close</c>. A closed window is learnt by
/// <see cref="LearningCloser"/>.
/// </summary>
internal static class LearningApi
{
    /// <summary>Distinct names in one upload at most.</summary>
    public const int MaxNames = 4096;

    /// <summary>Grams in one upload at most.</summary>
    public const int MaxGrams = 100_000;

    public static void Map(IEndpointRouteBuilder app, ServeOptions options, IFleetStore store, TimeProvider clock)
    {
        app.MapPost("/api/agent/learn", async (HttpContext context) =>
        {
            CancellationToken ct = context.RequestAborted;
            FleetHost host = await HostAuthentication.AuthenticateAsync(context.Request, store, ct).ConfigureAwait(false);
            var (body, error) = await JsonBody.ReadAsync(context.Request, options.MaxBodyBytes, ct).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            using JsonDocument document = body!;
            JsonElement root = document.RootElement;
            JsonFields.RequireObject(root, "$");
            long id = JsonFields.Count(root, "window", "$");
            string profileName = JsonFields.String(root, "profile", "$", 256);
            LearningWindow? window = await store.LearningWindows.FindAsync(id, ct).ConfigureAwait(false);
            DateTimeOffset now = clock.GetUtcNow();
            if (window is null)
            {
                return ApiJson.Error(StatusCodes.Status404NotFound, string.Create(CultureInfo.InvariantCulture, $"no learning window #{id}"));
            }

            if (window.Group != host.Group)
            {
                return ApiJson.Error(StatusCodes.Status403Forbidden, string.Create(CultureInfo.InvariantCulture,
                    $"learning window #{id} is for group '{window.Group}'; host '{host.Name}' is in group '{host.Group}'"));
            }

            if (!window.IsOpenAt(now))
            {
                return Closed(window);
            }

            // A profile withdrawn from the group since the window opened: its agents no longer check against it.
            IReadOnlyDictionary<string, IReadOnlyList<string>> assigned = await store.ListProfileGroupsAsync(ct).ConfigureAwait(false);
            if (!ProfileGroups.Reaches(assigned.GetValueOrDefault(window.Profile), host.Group))
            {
                return ApiJson.Error(StatusCodes.Status403Forbidden, string.Create(CultureInfo.InvariantCulture,
                    $"learning window #{id} learns profile '{window.Profile}', which group '{host.Group}' no longer receives"));
            }

            if (window.Profile != profileName)
            {
                throw new BadRequestException($"$.profile: learning window #{id} learns profile '{window.Profile}', not '{Printable.Escape(profileName)}'");
            }

            IFingerprintStore fingerprints = store.Fingerprints;
            ProfileInfo profile = fingerprints.FindProfile(window.Profile)
                ?? throw new BadRequestException($"profile '{window.Profile}' no longer exists", StatusCodes.Status409Conflict);
            SyscallTable table = fingerprints.LoadMapping() ?? throw new BadRequestException("the fleet's store has no mapping yet", StatusCodes.Status409Conflict);
            LearningUpload upload = Parse(root, profile, table);
            StageOutcome outcome = await store.LearningWindows.StageAsync(id, host.Id, upload, now, options.MaxLearnLogsPerHost, ct).ConfigureAwait(false);
            return outcome switch
            {
                StageOutcome.Staged => ApiJson.Ok(new JsonObject { ["window"] = id, ["sha256"] = upload.Sha256, ["stored"] = true }, StatusCodes.Status201Created),
                StageOutcome.AlreadyStaged => ApiJson.Ok(new JsonObject { ["window"] = id, ["sha256"] = upload.Sha256, ["stored"] = false }),
                StageOutcome.TooMany => ApiJson.Error(StatusCodes.Status403Forbidden, string.Create(CultureInfo.InvariantCulture,
                    $"host '{host.Name}' uploaded {options.MaxLearnLogsPerHost} logs to learning window #{id}, as many as a host may")),
                _ => Closed(await store.LearningWindows.FindAsync(id, ct).ConfigureAwait(false) ?? window),
            };
        });

        RouteGroupBuilder admin = app.MapGroup("/api/learning-windows");
        admin.AddEndpointFilter(async (context, next) =>
        {
            Console.AdminAuthorization.Authorize(context.HttpContext, options.AdminTokenHash, clock);
            return await next(context).ConfigureAwait(false);
        });

        admin.MapGet("", async (HttpContext context) =>
        {
            IReadOnlyList<LearningWindow> windows = await store.LearningWindows.ListAsync(context.RequestAborted).ConfigureAwait(false);
            DateTimeOffset now = clock.GetUtcNow();
            return AdminApi.Json(json =>
            {
                json.WriteStartObject();
                json.WriteStartArray("learning_windows");
                foreach (LearningWindow window in windows)
                {
                    FleetJson.WriteLearningWindow(json, window, now);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            });
        });

        admin.MapPost("", async (HttpContext context) =>
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
            string profile = JsonFields.OptionalString(root, "profile", "$", 256) ?? ProfileInfo.DefaultName;
            long seconds = JsonFields.Count(root, "duration_s", "$");
            try
            {
                LearningWindow window = await FleetLearning.OpenAsync(store, group, profile, TimeSpan.FromSeconds(seconds), clock.GetUtcNow(), context.RequestAborted)
                    .ConfigureAwait(false);
                return Results.Text(FleetJson.ToText(json => FleetJson.WriteLearningWindow(json, window, clock.GetUtcNow())), ApiJson.ContentType,
                    System.Text.Encoding.UTF8, StatusCodes.Status201Created);
            }
            catch (SysprintException e) when (e.Kind is ErrorKind.Usage or ErrorKind.InputMissing)
            {
                return ApiJson.Error(e.Kind == ErrorKind.Usage ? StatusCodes.Status409Conflict : StatusCodes.Status404NotFound, e.Message);
            }
        });

        admin.MapPost("/{id:long}/close", async (long id, HttpContext context) =>
            await store.LearningWindows.CloseAsync(id, clock.GetUtcNow(), context.RequestAborted).ConfigureAwait(false)
                ? ApiJson.Ok(new JsonObject { ["id"] = id, ["closed"] = true })
                : ApiJson.Error(StatusCodes.Status404NotFound, string.Create(CultureInfo.InvariantCulture, $"no open learning window #{id}")));
    }

    private static IResult Closed(LearningWindow window) =>
        ApiJson.Error(StatusCodes.Status409Conflict, string.Create(CultureInfo.InvariantCulture,
            $"learning window #{window.Id} closed at {FleetJson.TimeText(window.Closed is { } c && c < window.Closes ? c : window.Closes)}: no more logs are learnt from it"));

    /// <summary>
    /// Reads an upload: <c>{window, profile, vm, log, sha256, syscalls, mapping, names: {NR: NAME},
    /// grams: ["NR NR", ...], windows: BASE64}</c>. Every name must have the same number in the
    /// fleet's mapping, every gram fit the profile's window and use only named calls, and the
    /// window counts parse; else 400 naming the member.
    /// </summary>
    internal static LearningUpload Parse(JsonElement root, ProfileInfo profile, SyscallTable table)
    {
        string sha = JsonFields.String(root, "sha256", "$", 64);
        if (sha.Length != 64 || !sha.All(char.IsAsciiHexDigitLower))
        {
            throw new BadRequestException($"$.sha256: expected 64 lowercase hexadecimal digits, found '{Printable.Escape(sha)}'");
        }

        string vm = JsonFields.String(root, "vm", "$", 256);
        string log = JsonFields.String(root, "log", "$", 4096);
        long syscalls = JsonFields.Count(root, "syscalls", "$");
        string mapping = JsonFields.String(root, "mapping", "$", 256);
        if (mapping != table.Source)
        {
            throw new BadRequestException($"$.mapping: the fleet's store maps calls with '{Printable.Escape(table.Source)}', not '{Printable.Escape(mapping)}'");
        }

        if (!root.TryGetProperty("names", out JsonElement names) || names.ValueKind != JsonValueKind.Object)
        {
            throw new BadRequestException("$.names: expected an object of call numbers and names");
        }

        var named = new HashSet<int>();
        foreach (JsonProperty name in names.EnumerateObject())
        {
            if (named.Count >= MaxNames)
            {
                throw new BadRequestException(string.Create(CultureInfo.InvariantCulture, $"$.names: more than {MaxNames} calls"));
            }

            string where = $"$.names[\"{Printable.Escape(name.Name)}\"]";
            if (!int.TryParse(name.Name, NumberStyles.None, CultureInfo.InvariantCulture, out int nr) || name.Value.ValueKind != JsonValueKind.String)
            {
                throw new BadRequestException($"{where}: expected a call number and its name");
            }

            string call = name.Value.GetString()!;
            if (!table.TryGetNumber(call, out int here) || here != nr)
            {
                throw new BadRequestException(string.Create(CultureInfo.InvariantCulture,
                    $"{where}: '{Printable.Escape(call)}' is {(table.TryGetNumber(call, out here) ? $"number {here}" : "unknown")} in the fleet's mapping ({table.Source}), not {nr}"));
            }

            named.Add(nr);
        }

        if (!root.TryGetProperty("grams", out JsonElement gramList) || gramList.ValueKind != JsonValueKind.Array || gramList.GetArrayLength() > MaxGrams)
        {
            throw new BadRequestException(string.Create(CultureInfo.InvariantCulture, $"$.grams: expected an array of at most {MaxGrams} grams"));
        }

        var grams = new List<string>(gramList.GetArrayLength());
        int i = 0;
        foreach (JsonElement element in gramList.EnumerateArray())
        {
            string where = string.Create(CultureInfo.InvariantCulture, $"$.grams[{i++}]");
            int[] gram;
            try
            {
                gram = element.ValueKind == JsonValueKind.String && element.GetString()!.Length <= 256 ? Fingerprint.ParseGram(element.GetString()!)
                    : throw new FormatException("expected a string of call numbers");
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new BadRequestException($"{where}: {e.Message}");
            }

            if (gram.Length < 1 || gram.Length > profile.Window || !gram.All(named.Contains))
            {
                throw new BadRequestException(string.Create(CultureInfo.InvariantCulture,
                    $"{where}: expected 1 to {profile.Window} calls (profile '{profile.Name}'), each one in $.names"));
            }

            grams.Add(Fingerprint.FormatGram(gram));
        }

        byte[]? windows = null;
        if (root.TryGetProperty("windows", out JsonElement w) && w.ValueKind != JsonValueKind.Null)
        {
            if (w.ValueKind != JsonValueKind.String || !w.TryGetBytesFromBase64(out windows))
            {
                throw new BadRequestException("$.windows: expected the log's window counts in base64");
            }

            try
            {
                int[] calls = new SubstringModel(capacity: 64).AddLog(windows, 0);
                if (!calls.All(named.Contains))
                {
                    throw new BadRequestException("$.windows: a call of the window counts is not in $.names");
                }
            }
            catch (InvalidDataException e)
            {
                throw new BadRequestException($"$.windows: not window counts: {e.Message}");
            }
        }

        return new LearningUpload(sha, vm, log, syscalls, grams, windows);
    }
}

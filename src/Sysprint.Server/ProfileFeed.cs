using System.Globalization;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sysprint.App.Profiles;
using Sysprint.Fleet;
using Sysprint.Mapping;
using Sysprint.Storage;

namespace Sysprint.Server;

/// <summary>
/// Fingerprints flow down: <c>GET /api/agent/profiles[?wait=S]</c> with the host's credential
/// answers <c>{"revision", "group", "profiles": [export, ...], "learning": [window, ...]}</c> (each
/// profile as <c>sysprint export</c> writes it, with its seal; the learning windows open for the
/// host's group, see <see cref="LearningApi"/>) and <c>ETag: "REVISION"</c>. With
/// <c>If-None-Match</c> naming the current revision it waits (a long-poll, at most <c>wait</c>
/// seconds, 60 at most) for the next change committed centrally and answers it at once, or answers
/// 304 when none came. An agent that was away asks with the revision it has and gets the newest.
/// </summary>
/// <remarks>
/// The answer is built once per revision and per server instance (the revision names it: the
/// instance keeps nothing else). With <see cref="ServeOptions.SealKey"/> every profile is sealed
/// afresh with that fleet key; without it each keeps the seal <c>sysprint seal</c> stored.
/// </remarks>
internal static class ProfileFeed
{
    /// <summary>The longest long-poll, in seconds.</summary>
    public const int MaxWaitSeconds = 60;

    private static readonly JsonWriterOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Map(IEndpointRouteBuilder app, ServeOptions options, IFleetStore store, TimeProvider clock)
    {
        var cache = new Cache();
        CancellationToken stopping = app.ServiceProvider.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        app.MapGet("/api/agent/profiles", async (HttpContext context) =>
        {
            CancellationToken ct = context.RequestAborted;
            FleetHost host = await HostAuthentication.AuthenticateAsync(context.Request, store, ct).ConfigureAwait(false);
            int wait = 0;
            if (context.Request.Query["wait"] is { Count: > 0 } waitText
                && (!int.TryParse(waitText[0], NumberStyles.None, CultureInfo.InvariantCulture, out wait) || wait > MaxWaitSeconds))
            {
                throw new BadRequestException($"wait: expected whole seconds from 0 to {MaxWaitSeconds}, found '{Diagnostics.Printable.Escape(waitText[0] ?? "")}'");
            }

            long? known = KnownRevision(context.Request);
            long revision;
            using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(ct, stopping))
            {
                try
                {
                    revision = await store.WaitForProfilesAsync(known, TimeSpan.FromSeconds(wait), waiting.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    // A long-poll must not hold the server's shutdown: the agent asks another instance, or this one again.
                    return ApiJson.Error(StatusCodes.Status503ServiceUnavailable, "the server is stopping; ask again");
                }
            }

            context.Response.Headers.ETag = ETag(revision);
            context.Response.Headers.CacheControl = "no-cache";
            if (known == revision)
            {
                return Results.StatusCode(StatusCodes.Status304NotModified);
            }

            byte[] profiles = await cache.GetAsync(revision, () => Build(store.Fingerprints, options.SealKey), ct).ConfigureAwait(false);
            IReadOnlyList<LearningWindow> windows = await store.LearningWindows.ListAsync(ct).ConfigureAwait(false);
            DateTimeOffset now = clock.GetUtcNow();
            using var body = new MemoryStream();
            using (var json = new Utf8JsonWriter(body, s_json))
            {
                json.WriteStartObject();
                json.WriteNumber("revision", revision);
                json.WriteString("group", host.Group);
                json.WritePropertyName("profiles");
                json.WriteRawValue(profiles, skipInputValidation: true);

                // The group's open learning windows: opening and closing one change the revision too.
                json.WriteStartArray("learning");
                foreach (LearningWindow window in windows)
                {
                    if (window.Group == host.Group && window.IsOpenAt(now))
                    {
                        FleetJson.WriteLearningWindow(json, window, now);
                    }
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            return Results.Bytes(body.ToArray(), "application/json");
        });
    }

    /// <summary>The ETag of a revision: <c>"17"</c>.</summary>
    public static string ETag(long revision) => string.Create(CultureInfo.InvariantCulture, $"\"{revision}\"");

    /// <summary>The revision an agent names in <c>If-None-Match</c>, or null (none, <c>*</c>, or not one of ours).</summary>
    private static long? KnownRevision(HttpRequest request)
    {
        string? tag = request.Headers.IfNoneMatch.Count > 0 ? request.Headers.IfNoneMatch[0] : null;
        if (tag is null || tag.Length < 3 || tag[0] != '"' || tag[^1] != '"')
        {
            return null;
        }

        return long.TryParse(tag.AsSpan(1, tag.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out long revision) ? revision : null;
    }

    /// <summary>Every profile of the store as a JSON array of exports.</summary>
    private static byte[] Build(IFingerprintStore store, ECDsa? sealKey)
    {
        using var body = new MemoryStream();
        using (var json = new Utf8JsonWriter(body, s_json))
        {
            json.WriteStartArray();
            SyscallTable? table = store.LoadMapping();
            if (table is not null)
            {
                foreach (ProfileInfo profile in store.ListProfiles())
                {
                    ProfileExport.FromStore(store, profile, table, sealKey).Write(json);
                }
            }

            json.WriteEndArray();
        }

        return body.ToArray();
    }

    /// <summary>The profiles of the newest revision built, built by one request while the others wait for it.</summary>
    private sealed class Cache
    {
        private readonly Lock _gate = new();
        private Entry? _entry;

        public Task<byte[]> GetAsync(long revision, Func<byte[]> build, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                // Built for this revision or a newer one (which the agent may as well have); a failed
                // build (the database away) is tried again by the next request.
                if (_entry is not { } entry || entry.Revision < revision || entry.Profiles.IsFaulted || entry.Profiles.IsCanceled)
                {
                    // Read after the revision was: a change committed meanwhile is in it too, and the
                    // agent asks again for the revision that names it.
                    entry = new Entry(revision, Task.Run(build, CancellationToken.None));
                    _entry = entry;
                }

                return entry.Profiles.WaitAsync(cancellationToken);
            }
        }

        private sealed record Entry(long Revision, Task<byte[]> Profiles);
    }
}

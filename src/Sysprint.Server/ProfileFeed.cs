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

            if (known == revision)
            {
                context.Response.Headers.ETag = ETag(revision);
                context.Response.Headers.CacheControl = "no-cache";
                return Results.StatusCode(StatusCodes.Status304NotModified);
            }

            Snapshot snapshot = await cache.GetAsync(revision, ct => BuildAsync(store, options.SealKey, ct), ct).ConfigureAwait(false);
            IReadOnlyList<LearningWindow> windows = await store.LearningWindows.ListAsync(ct).ConfigureAwait(false);
            DateTimeOffset now = clock.GetUtcNow();

            // The snapshot's revision names what it holds (it may be newer than the one waited for).
            context.Response.Headers.ETag = ETag(snapshot.Revision);
            context.Response.Headers.CacheControl = "no-cache";
            using var body = new MemoryStream();
            using (var json = new Utf8JsonWriter(body, s_json))
            {
                json.WriteStartObject();
                json.WriteNumber("revision", snapshot.Revision);
                json.WriteString("group", host.Group);

                // The profiles assigned to the host's group (a profile never assigned goes to every group).
                json.WriteStartArray("profiles");
                foreach ((string name, byte[] export) in snapshot.Profiles)
                {
                    if (snapshot.Reaches(name, host.Group))
                    {
                        json.WriteRawValue(export, skipInputValidation: true);
                    }
                }

                json.WriteEndArray();

                // The group's open learning windows, for profiles the group receives: opening and closing one change the revision too.
                json.WriteStartArray("learning");
                foreach (LearningWindow window in windows)
                {
                    if (window.Group == host.Group && window.IsOpenAt(now) && snapshot.Reaches(window.Profile, host.Group))
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

    /// <summary>
    /// Every profile of the store as an export, with the groups each is assigned to, as of one
    /// revision: read again when a change was committed while reading (each change raises the
    /// revision in its own transaction), so the snapshot never mixes two states of the store.
    /// </summary>
    private static async Task<Snapshot> BuildAsync(IFleetStore store, ECDsa? sealKey, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            long before = await store.ReadRevisionAsync(cancellationToken).ConfigureAwait(false);
            Snapshot snapshot;
            try
            {
                IReadOnlyDictionary<string, IReadOnlyList<string>> groups = await store.ListProfileGroupsAsync(cancellationToken).ConfigureAwait(false);
                snapshot = new Snapshot(before, Exports(store.Fingerprints, sealKey), groups);
            }
            catch (Exception e) when (e is Diagnostics.SysprintException or InvalidOperationException && attempt < MaxBuildAttempts)
            {
                // A profile deleted between listing and reading it: a change was committed; read again.
                continue;
            }

            if (await store.ReadRevisionAsync(cancellationToken).ConfigureAwait(false) == before || attempt >= MaxBuildAttempts)
            {
                return snapshot;
            }
        }
    }

    /// <summary>How many times a snapshot is read again while changes keep coming; the last one is served (its agents ask again at the next revision).</summary>
    private const int MaxBuildAttempts = 5;

    /// <summary>Every profile of the store as an export's JSON object, by name.</summary>
    private static List<(string Name, byte[] Export)> Exports(IFingerprintStore store, ECDsa? sealKey)
    {
        var exports = new List<(string, byte[])>();
        SyscallTable? table = store.LoadMapping();
        if (table is null)
        {
            return exports;
        }

        foreach (ProfileInfo profile in store.ListProfiles())
        {
            using var body = new MemoryStream();
            using (var json = new Utf8JsonWriter(body, s_json))
            {
                ProfileExport.FromStore(store, profile, table, sealKey).Write(json);
            }

            exports.Add((profile.Name, body.ToArray()));
        }

        return exports;
    }

    /// <summary>What the feed sends as of one revision: every profile's export and the groups assigned.</summary>
    private sealed record Snapshot(long Revision, List<(string Name, byte[] Export)> Profiles, IReadOnlyDictionary<string, IReadOnlyList<string>> Groups)
    {
        public bool Reaches(string profile, string group) => ProfileGroups.Reaches(Groups.GetValueOrDefault(profile), group);
    }

    /// <summary>The snapshot of the newest revision built, built by one request while the others wait for it.</summary>
    private sealed class Cache
    {
        private readonly Lock _gate = new();
        private Entry? _entry;

        public Task<Snapshot> GetAsync(long revision, Func<CancellationToken, Task<Snapshot>> build, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                // Built for this revision or a newer one (which the agent may as well have); a failed
                // build (the database away) is tried again by the next request.
                if (_entry is not { } entry || entry.Revision < revision || entry.Snapshot.IsFaulted || entry.Snapshot.IsCanceled)
                {
                    // Read after the revision was: a change committed meanwhile is in it too, and the
                    // agent asks again for the revision that names it.
                    entry = new Entry(revision, Task.Run(() => build(CancellationToken.None), CancellationToken.None));
                    _entry = entry;
                }

                return entry.Snapshot.WaitAsync(cancellationToken);
            }
        }

        private sealed record Entry(long Revision, Task<Snapshot> Snapshot);
    }
}

using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Sysprint.Diagnostics;
using Sysprint.Fleet;
using Sysprint.Integrity;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Storage;

namespace Sysprint.Server.Console;

/// <summary>
/// The console's view of the fingerprint store: each profile's size, learnt logs and seal status;
/// for one profile the paper's per-call successor arrays, the transition matrix (for the heatmap)
/// and the convergence curve (new transitions per learnt log). The store is opened per request
/// and disposed after it.
/// </summary>
internal sealed class ProfilesView(Func<IFingerprintStore>? open) : IDisposable
{
    private readonly Lock _lock = new();

    // A PostgreSQL store serves several threads at once and holds a connection pool: opened once
    // and kept (opening one per request cost about 100 ms). A SQLite one is opened per request.
    private IFingerprintStore? _shared;

    /// <summary>Runs <paramref name="use"/> on the store (the shared PostgreSQL one, or a freshly opened SQLite one).</summary>
    /// <exception cref="BadRequestException">503 when no fingerprint store is configured or it cannot be opened, naming why.</exception>
    public T Use<T>(Func<IFingerprintStore, T> use)
    {
        ArgumentNullException.ThrowIfNull(use);
        if (open is null)
        {
            throw new BadRequestException("no fingerprint store: this server shows and changes no profiles", StatusCodes.Status503ServiceUnavailable);
        }

        if (Volatile.Read(ref _shared) is { } shared)
        {
            return use(shared);
        }

        IFingerprintStore store;
        try
        {
            store = open();
        }
        catch (SysprintException e)
        {
            throw new BadRequestException($"the fingerprint store cannot be opened: {e.Message}", StatusCodes.Status503ServiceUnavailable);
        }

        if (store is Storage.Postgres.PostgresFingerprintStore)
        {
            lock (_lock)
            {
                if (_shared is null)
                {
                    _shared = store;
                }
                else
                {
                    store.Dispose();
                }

                store = _shared;
            }

            return use(store);
        }

        using (store)
        {
            return use(store);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _shared?.Dispose();
            _shared = null;
        }
    }

    /// <summary>The profiles learnt into most recently, or null with the reason when the store cannot be opened.</summary>
    public IReadOnlyList<Summary>? TryRecentlyChanged(int limit, out string? error)
    {
        try
        {
            error = null;
            return [.. Use(List).Where(s => s.LastLearnt is not null).OrderByDescending(s => s.LastLearnt).Take(limit)];
        }
        catch (BadRequestException e)
        {
            error = e.Message;
            return null;
        }
    }

    /// <summary>Every profile's summary, by name.</summary>
    public static IReadOnlyList<Summary> List(IFingerprintStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        SyscallTable? table = store.LoadMapping();
        var list = new List<Summary>();
        foreach (ProfileInfo profile in store.ListProfiles().OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            list.Add(Summarise(store, profile, table, store.LoadFingerprint(profile)));
        }

        return list;
    }

    /// <summary>One profile in full as JSON text, or null when there is no such profile.</summary>
    /// <param name="groups">The groups the profile is assigned to (null: every group).</param>
    public static string? Detail(IFingerprintStore store, string name, IReadOnlyList<ConsoleChange> changes, IReadOnlyList<string>? groups = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ProfileInfo? profile = store.FindProfile(name);
        if (profile is null)
        {
            return null;
        }

        SyscallTable table = store.LoadMapping() ?? SyscallTable.Builtin("x86_64");
        Fingerprint fingerprint = store.LoadFingerprint(profile);
        IReadOnlyList<LearntLog> logs = store.ListLearntLogs(profile.Id);
        Summary summary = Summarise(store, profile, table, fingerprint, logs);
        SortedDictionary<int, SortedSet<int>> successors = fingerprint.Successors();
        return FleetJson.ToText(json =>
        {
            json.WriteStartObject();
            json.WritePropertyName("profile");
            summary.Write(json, changes.FirstOrDefault(c => c.Action == "normal"), groups);
            json.WriteStartArray("successors");
            foreach (var (call, next) in successors)
            {
                json.WriteStartObject();
                json.WriteString("call", table.NameOf(call));
                json.WriteNumber("nr", call);
                json.WriteStartArray("next");
                foreach (int n in next)
                {
                    json.WriteStringValue(table.NameOf(n));
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();

            // The heatmap: rows are previous calls, columns next calls, both the calls the
            // fingerprint knows, in number order; cells are [row, column] of learnt pairs.
            var calls = new SortedSet<int>(successors.Keys);
            foreach (SortedSet<int> next in successors.Values)
            {
                calls.UnionWith(next);
            }

            var index = new Dictionary<int, int>();
            json.WriteStartObject("matrix");
            json.WriteStartArray("calls");
            foreach (int call in calls)
            {
                index[call] = index.Count;
                json.WriteStringValue(table.NameOf(call));
            }

            json.WriteEndArray();
            json.WriteStartArray("cells");
            foreach (var (call, next) in successors)
            {
                foreach (int n in next)
                {
                    json.WriteStartArray();
                    json.WriteNumberValue(index[call]);
                    json.WriteNumberValue(index[n]);
                    json.WriteEndArray();
                }
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartArray("convergence");
            foreach (LearntLog log in logs)
            {
                json.WriteStartObject();
                json.WriteString("log", log.Path);
                json.WriteString("time", FleetJson.TimeText(log.Time));
                json.WriteNumber("new_transitions", log.NewTransitions);
                json.WriteNumber("size", log.FingerprintSize);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("changes");
            foreach (ConsoleChange change in changes)
            {
                ConsoleJson.WriteChange(json, change);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    private static Summary Summarise(IFingerprintStore store, ProfileInfo profile, SyscallTable? table, Fingerprint fingerprint,
        IReadOnlyList<LearntLog>? logs = null)
    {
        logs ??= store.ListLearntLogs(profile.Id);
        Seal? seal = Seal.FromJson(store.GetSetting(Seal.SettingKey(profile.Name)));
        string sealState = seal is null ? "unsealed"
            : table is not null && FingerprintDigest.Compute(profile.Name, fingerprint, table) == seal.Digest ? "sealed"
            : "changed";
        return new Summary(profile.Name, profile.Window, profile.Detector, profile.Threshold, profile.Created, fingerprint.TransitionCount,
            fingerprint.KnownCallCount, logs.Count, logs.Count > 0 ? logs[^1].Time : null, sealState, seal?.KeyId, seal?.SealedAt);
    }

    /// <summary>A profile in one line of the fingerprints page.</summary>
    /// <param name="SealState"><c>sealed</c> (the seal matches the fingerprint), <c>changed</c> (learnt into since it was sealed) or <c>unsealed</c>.</param>
    public sealed record Summary(string Name, int Window, string Detector, double Threshold, DateTimeOffset Created, int Transitions, int Calls,
        int Logs, DateTimeOffset? LastLearnt, string SealState, string? SealKeyId, DateTimeOffset? SealedAt)
    {
        /// <summary>
        /// <c>{"name", "window", "detector", "threshold", "created", "transitions", "calls", "logs", "last_learnt",
        /// "seal": {"state", "key_id", "sealed_at"}, "last_change": audit entry or null, "groups": the groups whose agents receive it, null for every group}</c>.
        /// </summary>
        public void Write(Utf8JsonWriter json, ConsoleChange? lastChange, IReadOnlyList<string>? groups)
        {
            json.WriteStartObject();
            json.WriteString("name", Name);
            json.WriteNumber("window", Window);
            json.WriteString("detector", Detector);
            json.WriteNumber("threshold", Threshold);
            json.WriteString("created", FleetJson.TimeText(Created));
            json.WriteNumber("transitions", Transitions);
            json.WriteNumber("calls", Calls);
            json.WriteNumber("logs", Logs);
            ConsoleJson.WriteString(json, "last_learnt", LastLearnt is { } t ? FleetJson.TimeText(t) : null);
            json.WriteStartObject("seal");
            json.WriteString("state", SealState);
            ConsoleJson.WriteString(json, "key_id", SealKeyId);
            ConsoleJson.WriteString(json, "sealed_at", SealedAt is { } s ? FleetJson.TimeText(s) : null);
            json.WriteEndObject();
            if (lastChange is null)
            {
                json.WriteNull("last_change");
            }
            else
            {
                json.WritePropertyName("last_change");
                ConsoleJson.WriteChange(json, lastChange);
            }

            if (groups is null)
            {
                json.WriteNull("groups");
            }
            else
            {
                json.WriteStartArray("groups");
                foreach (string group in groups)
                {
                    json.WriteStringValue(group);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }
    }
}

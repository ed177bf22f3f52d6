using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Sysprint.Fleet;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Storage;

namespace Sysprint.Server.Console;

/// <summary>
/// "This is normal": learns the window an alert names (<c>mismatch.window</c>, the calls that
/// raised it) into the alert's profile, as one learnt entry of the profile (path
/// <c>console:alert/UUID@HOST</c>) in one transaction, so that every host checking against that
/// profile stops alerting on it once it has the new fingerprint. Learning the same window again
/// changes nothing. A call-set alert (a call added or missing) is about the run's whole set of
/// calls: it is refused (409) with what it means and the <c>train</c> that learns the run.
/// </summary>
internal static class NormalLearner
{
    /// <param name="Window">The alert's (first) window.</param>
    /// <param name="NewTransitions">How many of <see cref="Windows"/> the profile did not hold yet.</param>
    public sealed record Outcome(string Profile, string Window, int NewTransitions)
    {
        /// <summary>Every window learnt: the agent's one, or each mismatch of a check, run or attach alert.</summary>
        public IReadOnlyList<string> Windows { get; init; } = [Window];
    }

    /// <exception cref="BadRequestException">409 when the alert cannot be learnt (no profile or window, an unknown call or profile).</exception>
    public static Outcome Learn(IFingerprintStore store, ConsoleAlert alert, string actor, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(alert);
        AlertExplanation explanation = AlertExplanation.Of(alert);
        string? profileName = alert.Alert.Profile;
        if (explanation.Kind is "calls_added" or "calls_missing")
        {
            string what = explanation.Kind == "calls_added"
                ? $"the run made {explanation.Next}, a call the nearest normal run learnt into profile '{profileName}' never makes"
                : $"the nearest normal run of profile '{profileName}' makes {explanation.Next}, and this run never does";
            string host = alert.Alert.Host.Length > 0 ? $" on host {alert.Alert.Host}" : "";
            throw Conflict(string.Create(CultureInfo.InvariantCulture,
                $"alert {alert.Alert.Seq} is a call-set finding: {what}. The call-set detector compares each run's whole set of calls with the learnt runs' sets, "
                + $"so one call cannot be learnt alone: learn the run's log itself{host}: sysprint train --db STORE --profile {profileName ?? "PROFILE"} {alert.Alert.Log ?? "LOG"}"));
        }

        if (profileName is null || explanation.Window is not { Length: > 0 } window)
        {
            throw Conflict($"alert {alert.Alert.Seq} names no profile and mismatching window: there is nothing to learn from it");
        }

        ProfileInfo profile = store.FindProfile(profileName)
            ?? throw Conflict($"profile '{profileName}' is not in the fingerprint store {store.Location}");
        SyscallTable table = store.LoadMapping()
            ?? throw Conflict($"the fingerprint store {store.Location} has no mapping yet");
        List<string> windows = [window];
        foreach (string other in DetailWindows(alert))
        {
            if (!windows.Contains(other, StringComparer.Ordinal))
            {
                windows.Add(other);
            }
        }

        int added = 0;
        foreach (string each in windows)
        {
            added += LearnWindow(store, profile, table, alert, each, actor, now);
        }

        return new Outcome(profileName, window, added) { Windows = windows };
    }

    /// <summary>Learns one window as one learnt entry; 0 when the profile holds it already, else 1.</summary>
    private static int LearnWindow(IFingerprintStore store, ProfileInfo profile, SyscallTable table, ConsoleAlert alert, string window, string actor, DateTimeOffset now)
    {
        string[] names = window.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (names.Length > profile.Window)
        {
            throw Conflict(string.Create(CultureInfo.InvariantCulture,
                $"the window '{window}' has {names.Length} calls; profile '{profile.Name}' learns windows of {profile.Window}"));
        }

        int[] gram = new int[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            if (!table.TryGetNumber(names[i], out gram[i]))
            {
                throw Conflict($"call '{names[i]}' is not in the mapping of {store.Location}");
            }
        }

        Fingerprint fingerprint = store.LoadFingerprint(profile);
        string sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"sysprint-console-normal/1\0{profile.Name}\0{window}")));
        if (store.FindLearntLog(profile.Id, sha256) is not null || fingerprint.Contains(gram))
        {
            return 0;
        }

        fingerprint.Add(gram);
        var log = new LearntLog(
            string.Create(CultureInfo.InvariantCulture, $"console:alert/{alert.Alert.Uuid:D}@{alert.Alert.Host} by {actor}"),
            0, sha256, names.Length, 1, fingerprint.TransitionCount, now);
        store.LearnLog(profile, log, [gram], []);
        return 1;
    }

    /// <summary>
    /// The windows of every mismatch of an alert recorded by check, run or attach (its body's
    /// <c>details</c>: the window's calls, or prev and next), call-set findings left out; none for
    /// an agent's alert (one mismatch, in <c>output_fields</c>).
    /// </summary>
    private static List<string> DetailWindows(ConsoleAlert alert)
    {
        var windows = new List<string>();
        using JsonDocument document = JsonDocument.Parse(alert.Alert.Json);
        if (!document.RootElement.TryGetProperty("details", out JsonElement details) || details.ValueKind != JsonValueKind.Array)
        {
            return windows;
        }

        foreach (JsonElement m in details.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object || m.TryGetProperty("reason", out JsonElement reason)
                && reason.GetString() is Engine.CallSetReasons.Added or Engine.CallSetReasons.Missing)
            {
                continue;
            }

            if (m.TryGetProperty("window", out JsonElement w) && w.ValueKind == JsonValueKind.Array)
            {
                windows.Add(string.Join(' ', w.EnumerateArray().Select(c => c.GetString())));
            }
            else if (m.TryGetProperty("next", out JsonElement next) && next.ValueKind == JsonValueKind.String)
            {
                windows.Add(m.TryGetProperty("prev", out JsonElement prev) && prev.ValueKind == JsonValueKind.String
                    ? prev.GetString() + " " + next.GetString()
                    : next.GetString()!);
            }
        }

        return windows;
    }

    private static BadRequestException Conflict(string message) => new(message, StatusCodes.Status409Conflict);
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
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
/// changes nothing. A callset alert (a call added or missing) names no transition: it is refused.
/// </summary>
internal static class NormalLearner
{
    public sealed record Outcome(string Profile, string Window, int NewTransitions);

    /// <exception cref="BadRequestException">409 when the alert cannot be learnt (no profile or window, an unknown call or profile).</exception>
    public static Outcome Learn(IFingerprintStore store, ConsoleAlert alert, string actor, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(alert);
        AlertExplanation explanation = AlertExplanation.Of(alert);
        string? profileName = alert.Alert.Profile;
        if (explanation.Kind is "calls_added" or "calls_missing")
        {
            throw Conflict($"alert {alert.Alert.Seq} is a call-set finding ({explanation.Reason}), not a transition: learn the host's log itself with 'sysprint train'");
        }

        if (profileName is null || explanation.Window is not { Length: > 0 } window)
        {
            throw Conflict($"alert {alert.Alert.Seq} names no profile and mismatching window: there is nothing to learn from it");
        }

        ProfileInfo profile = store.FindProfile(profileName)
            ?? throw Conflict($"profile '{profileName}' is not in the fingerprint store {store.Location}");
        SyscallTable table = store.LoadMapping()
            ?? throw Conflict($"the fingerprint store {store.Location} has no mapping yet");
        string[] names = window.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (names.Length > profile.Window)
        {
            throw Conflict(string.Create(CultureInfo.InvariantCulture,
                $"the window '{window}' has {names.Length} calls; profile '{profileName}' learns windows of {profile.Window}"));
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
        string sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"sysprint-console-normal/1\0{profileName}\0{window}")));
        if (store.FindLearntLog(profile.Id, sha256) is not null || fingerprint.Contains(gram))
        {
            return new Outcome(profileName, window, 0);
        }

        fingerprint.Add(gram);
        var log = new LearntLog(
            string.Create(CultureInfo.InvariantCulture, $"console:alert/{alert.Alert.Uuid:D}@{alert.Alert.Host} by {actor}"),
            0, sha256, names.Length, 1, fingerprint.TransitionCount, now);
        store.LearnLog(profile, log, [gram], []);
        return new Outcome(profileName, window, 1);
    }

    private static BadRequestException Conflict(string message) => new(message, StatusCodes.Status409Conflict);
}

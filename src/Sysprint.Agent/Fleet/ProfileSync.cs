using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sysprint.Agent.Alerts;
using Sysprint.Agent.Hosting;
using Sysprint.Agent.Outbox;
using Sysprint.App.Profiles;
using Sysprint.Diagnostics;
using Sysprint.Integrity;
using Sysprint.Storage;

namespace Sysprint.Agent.Fleet;

/// <summary>
/// Fingerprints flow down: keeps the agent's local store in step with the fleet server's profiles
/// (<c>GET /api/agent/profiles</c>, a long-poll with the ETag of the revision the store has). Each
/// profile that changed is seal-checked with the agent's <c>--trust</c> key, then written in place of
/// the local one; the watcher picks it up as it picks up any change to its store. A profile whose
/// seal fails is not written (the old fingerprint stays) and raises an internal alert, once per
/// version. While the server is away the agent checks with what its store has, and asks again with
/// that revision when the server is back, which answers the newest at once.
/// </summary>
internal sealed class ProfileSync : FleetLoop
{
    /// <summary>The store setting that keeps the ETag of the profiles last applied.</summary>
    public const string ETagSetting = "fleet.profiles_etag";

    /// <summary>
    /// The value of <see cref="AppliedSetting"/> once the fleet stopped sending the profile (withdrawn
    /// from the host's group, or deleted centrally): the agent deleted its copy, and its watcher stops
    /// checking against it rather than keeping the old fingerprint.
    /// </summary>
    public const string Withdrawn = "withdrawn";

    /// <summary>
    /// The store setting that says a profile came from the fleet: the digest of the export applied
    /// (or <see cref="Withdrawn"/>). A profile without it was learnt or imported on the host, and the
    /// fleet never deletes it.
    /// </summary>
    public static string AppliedSetting(string profile) => "fleet.profile:" + profile;

    /// <summary>How long one long-poll waits on the server.</summary>
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(50);

    private readonly FleetConnection _connection;
    private readonly IFingerprintStore _store;
    private readonly SealVerifier? _verifier;
    private readonly AlertOutbox _outbox;
    private readonly AlertFactory _alerts;
    private readonly ILogger _logger;
    private readonly FleetLearner? _learner;

    /// <param name="learner">Told the learning windows the feed names, when given.</param>
    public ProfileSync(FleetConnection connection, IFingerprintStore store, SealVerifier? verifier, AlertOutbox outbox, AlertFactory alerts, ILogger logger,
        FleetLearner? learner = null)
    {
        _learner = learner;
        _connection = connection;
        _store = store;
        _verifier = verifier;
        _outbox = outbox;
        _alerts = alerts;
        _logger = logger;
    }

    protected override void Release()
    {
        _store.Dispose();
    }

    protected override async Task RunAsync(CancellationToken stop)
    {
        string? lastProblem = null;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                FleetCredential credential = await _connection.EnsureEnrolledAsync(stop).ConfigureAwait(false);
                string? etag = _store.GetSetting(ETagSetting);
                var answer = await _connection.Client.GetProfilesAsync(credential.Credential, etag, s_wait, stop).ConfigureAwait(false);
                if (answer is { } changed)
                {
                    using JsonDocument profiles = changed.Profiles;
                    Apply(profiles.RootElement);
                    _store.SetSetting(ETagSetting, changed.ETag);
                }

                lastProblem = null;
            }
            catch (Exception e) when (!stop.IsCancellationRequested && e is HttpRequestException or FleetRefusedException or TaskCanceledException
                or SysprintException or JsonException)
            {
                // The server away (or refusing): keep checking with the local copy; logged once per distinct problem.
                if (e.Message != lastProblem)
                {
                    Uri server = _connection.Client.Server;
                    _logger.LogWarning("profiles from {Server} not received: {Error}; checking with the local copy", server, e.Message);
                    lastProblem = e.Message;
                }

                await Task.Delay(TimeSpan.FromSeconds(2), stop).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes each profile that changed since the last one applied; refuses those whose seal fails.</summary>
    internal void Apply(JsonElement answer)
    {
        string where = $"{_connection.Client.Server}api/agent/profiles";
        if (_learner is not null && answer.TryGetProperty("learning", out JsonElement learning))
        {
            _learner.SetWindows(learning);
        }

        var received = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonElement element in answer.GetProperty("profiles").EnumerateArray())
        {
            ProfileImport profile = ProfileImport.Parse(element, where);
            received.Add(profile.Profile);
            string appliedKey = AppliedSetting(profile.Profile);
            if (_store.GetSetting(appliedKey) == profile.Digest)
            {
                continue;
            }

            try
            {
                profile.Verify(_verifier, where);
            }
            catch (SysprintException e) when (e.Kind == ErrorKind.Untrusted)
            {
                // The old fingerprint stays; the refusal is an alert, once per version received.
                Alert alert = _alerts.Internal("Fingerprint from the fleet refused", AlertPriority.Critical, null, "profile:" + profile.Profile,
                    "fleet-profile:" + profile.Digest, "seal", AgentErrorText.Of(e), DateTimeOffset.UtcNow);
                _outbox.Raise(alert);
                _logger.LogWarning("profile '{Profile}' from the fleet refused: {Error}; keeping the one in the store", profile.Profile, AgentErrorText.Of(e));
                continue;
            }

            // The profile and the record that it came from the fleet, in one transaction.
            profile.ReplaceIn(_store, "fleet:" + where, [new KeyValuePair<string, string>(appliedKey, profile.Digest)]);
            if (_logger.IsEnabled(LogLevel.Information))
            {
                _logger.LogInformation("profile '{Profile}' received from the fleet ({Grams} grams{Sealed})", profile.Profile, profile.Grams.Count,
                    _verifier is null ? "" : ", seal verified");
            }
        }

        Withdraw(received);
    }

    /// <summary>
    /// Deletes each profile the fleet sent before and no longer sends (withdrawn from the host's
    /// group, or deleted centrally). Profiles learnt or imported on the host are never touched.
    /// </summary>
    private void Withdraw(HashSet<string> received)
    {
        foreach (ProfileInfo local in _store.ListProfiles())
        {
            string key = AppliedSetting(local.Name);
            if (received.Contains(local.Name) || string.IsNullOrEmpty(_store.GetSetting(key)))
            {
                continue;
            }

            // Marked first: the watcher tells this deletion from one made by hand (and a crash in
            // between deletes it at the next answer).
            _store.SetSetting(key, Withdrawn);
            _store.DeleteProfile(local.Name);
            if (_logger.IsEnabled(LogLevel.Information))
            {
                _logger.LogInformation("profile '{Profile}' withdrawn by the fleet (no longer sent to this host's group): deleted from the store; its logs are no longer checked",
                    local.Name);
            }
        }
    }
}

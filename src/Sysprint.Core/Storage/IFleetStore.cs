using Sysprint.Fleet;

namespace Sysprint.Storage;

/// <summary>
/// What <c>sysprint serve</c> keeps for a fleet: enrollment secrets, enrolled hosts with their
/// credentials (hashed) and last heartbeat, and every host's alerts. Implemented on PostgreSQL,
/// shared by any number of server instances: every method is one statement or one transaction,
/// and nothing is cached between calls. Thread-safe.
/// </summary>
/// <remarks>
/// Secrets and credentials cross this contract only as their <see cref="FleetSecrets.Hash"/>.
/// Failures the user can act on (server unreachable, refused login, newer schema) surface as
/// <see cref="Diagnostics.SysprintException"/> with <see cref="Diagnostics.ErrorKind.StoreUnavailable"/>.
/// </remarks>
public interface IFleetStore : IAsyncDisposable
{
    /// <summary>Where the store lives, for messages (no password).</summary>
    string Location { get; }

    /// <summary>
    /// The fleet's fingerprint store, in the same database: the profiles agents receive, what
    /// <c>train</c>, <c>profile</c>, <c>seal</c> and <c>import</c> change centrally. Thread-safe.
    /// </summary>
    IFingerprintStore Fingerprints { get; }

    /// <summary>
    /// What the administrator's console reads and changes (paged alerts, their status, the audit
    /// log), or null when this backend keeps no console tables: asked for, never found by casting.
    /// </summary>
    IConsoleStore? Console { get; }

    /// <summary>
    /// The fingerprint store's revision (how many changes to what agents receive were committed):
    /// at once when <paramref name="known"/> is null or differs from it, else as soon as a change is
    /// committed, or when <paramref name="timeout"/> passes (then the same revision).
    /// </summary>
    Task<long> WaitForProfilesAsync(long? known, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>The fingerprint store's revision as committed now, read from the database (not as last notified).</summary>
    Task<long> ReadRevisionAsync(CancellationToken cancellationToken);

    /// <summary>The learning windows (<c>sysprint profile --learn-from-fleet</c>) and the logs hosts upload to them.</summary>
    ILearningWindows LearningWindows { get; }

    /// <summary>
    /// Each assigned profile's groups (<see cref="ProfileGroups"/>), by profile name; a profile not
    /// in it goes to every group.
    /// </summary>
    Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> ListProfileGroupsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Assigns the profile named <paramref name="profile"/> to <paramref name="groups"/> (null: every
    /// group, the assignment removed). A change to what agents receive: the revision goes up.
    /// </summary>
    Task SetProfileGroupsAsync(string profile, IReadOnlyList<string>? groups, CancellationToken cancellationToken);

    /// <summary>Records a new enrollment secret by its hash; returns what was stored.</summary>
    Task<EnrollSecret> AddEnrollSecretAsync(byte[] secretHash, string group, DateTimeOffset created, DateTimeOffset? expires, CancellationToken cancellationToken);

    /// <summary>Every enrollment secret, newest first.</summary>
    Task<IReadOnlyList<EnrollSecret>> ListEnrollSecretsAsync(CancellationToken cancellationToken);

    /// <summary>Revokes a secret: no host enrolls with it any more (hosts enrolled with it stay). False when there is no such secret.</summary>
    Task<bool> RevokeEnrollSecretAsync(long id, DateTimeOffset time, CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: checks the secret (known, not expired at <paramref name="now"/>, not
    /// revoked) and the name (not enrolled yet), then records the host with its credential's hash,
    /// in the secret's group. Two hosts enrolling the same name at once: one wins, the other gets
    /// <see cref="EnrollOutcome.NameTaken"/>.
    /// </summary>
    Task<(EnrollOutcome Outcome, FleetHost? Host)> EnrollAsync(byte[] secretHash, string hostName, byte[] credentialHash, TimeSpan heartbeatInterval,
        DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The host holding this credential (revoked hosts too: the caller refuses them), or null.</summary>
    Task<FleetHost?> FindHostByCredentialAsync(byte[] credentialHash, CancellationToken cancellationToken);

    /// <summary>Records a heartbeat: the host was seen at <paramref name="now"/> and said this.</summary>
    Task RecordHeartbeatAsync(long hostId, FleetHeartbeat heartbeat, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the host's alerts; an alert whose uuid the host already sent is left as it was
    /// (delivery is at least once, storage exactly once). Returns how many were new.
    /// </summary>
    Task<int> AddAlertsAsync(long hostId, IReadOnlyList<AlertUpload> alerts, DateTimeOffset received, CancellationToken cancellationToken);

    /// <summary>Every enrolled host, by name.</summary>
    Task<IReadOnlyList<FleetHost>> ListHostsAsync(CancellationToken cancellationToken);

    /// <summary>Revokes a host: its credential is refused from its next request on. False when no host has that name.</summary>
    Task<bool> RevokeHostAsync(string name, DateTimeOffset time, CancellationToken cancellationToken);

    /// <summary>The hosts' alerts (those of the one alert history that came from an agent), newest arrival first.</summary>
    Task<IReadOnlyList<FleetAlert>> ListAlertsAsync(FleetAlertQuery query, CancellationToken cancellationToken);
}

using System.Net;

namespace Sysprint.Server;

/// <summary>How <c>sysprint serve</c> runs: where it listens, its secrets, its limits.</summary>
public sealed record ServeOptions
{
    /// <summary>The address and port to listen on (port 0: any free port, see <see cref="FleetServer.Address"/>).</summary>
    public required IPEndPoint Listen { get; init; }

    /// <summary>The SHA-256 of the admin token; null turns the admin API off (every admin request gets 401).</summary>
    public byte[]? AdminTokenHash { get; init; }

    /// <summary>PEM certificate and key files: the server speaks HTTPS only when both are given.</summary>
    public string? TlsCertificate { get; init; }

    public string? TlsKey { get; init; }

    /// <summary>How often agents are told to send a heartbeat; a host missing more than two is silent.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest request body (an alert batch); larger ones get 413.</summary>
    public int MaxBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>The largest enrollment or heartbeat body.</summary>
    public int MaxSmallBodyBytes { get; init; } = 16 * 1024;

    /// <summary>Alerts in one batch at most.</summary>
    public int MaxAlertsPerBatch { get; init; } = 500;

    /// <summary>Requests per second each host may make on average (a token bucket per credential, per server instance).</summary>
    public int HostRequestsPerSecond { get; init; } = 20;

    /// <summary>Requests a host may make at once above its rate.</summary>
    public int HostBurst { get; init; } = 100;

    /// <summary>
    /// The fleet key (<c>--seal-key</c>): every profile sent to agents is sealed afresh with it, so
    /// their <c>--trust</c> (its public half) accepts central changes; null sends the seals stored by
    /// <c>sysprint seal</c>.
    /// </summary>
    public System.Security.Cryptography.ECDsa? SealKey { get; init; }

    /// <summary>Logs one host may upload to one learning window.</summary>
    public int MaxLearnLogsPerHost { get; init; } = 10_000;

    /// <summary>How often each instance looks for learning windows that closed, to learn them.</summary>
    public TimeSpan LearningCheckInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Enrollment requests per minute from one network address.</summary>
    public int EnrollPerMinutePerAddress { get; init; } = 120;

    /// <summary>
    /// Opens the fingerprint store the console shows and "this is normal" learns into (one per
    /// request, disposed after it); null, or a store that cannot be opened, leaves the console's
    /// profile views answering 503 with the reason.
    /// </summary>
    public Func<Storage.IFingerprintStore>? OpenFingerprints { get; init; }

    /// <summary>
    /// The folders whose logs the console may read to show the lines around each mismatch
    /// (<c>--logs-root</c>, <see cref="Console.LogContext"/>); empty: none is read.
    /// </summary>
    public IReadOnlyList<string> LogsRoots { get; init; } = [];

    /// <summary>How often the console's live feed (server-sent events) looks for new alerts and host state changes.</summary>
    public TimeSpan LivePollInterval { get; init; } = TimeSpan.FromSeconds(1);
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Sysprint.Agent.Alerts;
using Sysprint.Agent.Outbox;
using Sysprint.Agent.Sinks;
using Sysprint.Agent.Watch;
using Sysprint.Diagnostics;
using Sysprint.Parsing;

namespace Sysprint.Agent.Hosting;

/// <summary>
/// The agent's JSON config file (<c>sysprint watch --config FILE</c>; <c>deploy/agent.json</c> is a
/// full example). Every key is optional; unknown keys are errors (a typo must not silently
/// disable a sink). Command-line flags add to it (spools, sinks) or override it (db, profile).
/// Read by System.Text.Json's generated code (<see cref="AgentConfigJson"/>, no reflection, for the
/// native binary); its properties have setters, not <c>init</c>: the generator sets init-only
/// properties through the constructor and so gives an absent key default(T) instead of the default
/// written here.
/// </summary>
public sealed record AgentConfig
{
    /// <summary>The store; else <c>--db</c>, <c>$SYSPRINT_DB</c>, <c>./sysprint.db</c>.</summary>
    [JsonPropertyName("db")]
    public string? Db { get; set; }

    /// <summary>
    /// The public key (<c>KEYFILE.pub</c>) every profile's seal is verified with before use; a
    /// fingerprint unsealed or changed since sealing stops the agent (exit 77). <c>--trust</c>
    /// overrides it; <c>$SYSPRINT_TRUST</c> applies when neither is set.
    /// </summary>
    [JsonPropertyName("trust")]
    public string? Trust { get; set; }

    /// <summary>The fleet server (<c>sysprint serve</c>) to enroll with and send alerts and heartbeats to, e.g. <c>https://fleet.example:8443</c>.</summary>
    [JsonPropertyName("server")]
    public string? Server { get; set; }

    /// <summary>The enrollment secret, needed once: the credential it buys is kept in <see cref="CredentialFile"/>.</summary>
    [JsonPropertyName("enroll_token")]
    public string? EnrollToken { get; set; }

    /// <summary>The name to enroll under (and the <c>hostname</c> of alerts); default: <see cref="Hostname"/>, else the machine's name.</summary>
    [JsonPropertyName("host")]
    public string? Host { get; set; }

    /// <summary>A PEM file of the CA that signed the server's certificate: only it is trusted (pinned) instead of the system's roots.</summary>
    [JsonPropertyName("server_ca")]
    public string? ServerCa { get; set; }

    /// <summary>Where the host's credential is kept (mode 0600); default: beside the store, <c>STORE.credential</c>.</summary>
    [JsonPropertyName("credential_file")]
    public string? CredentialFile { get; set; }

    [JsonPropertyName("spools")]
    public IReadOnlyList<string> Spools { get; set; } = [];

    [JsonPropertyName("profile")]
    public string Profile { get; set; } = Storage.ProfileInfo.DefaultName;

    [JsonPropertyName("vm_profiles")]
    public IReadOnlyDictionary<string, string> VmProfiles { get; set; } = new Dictionary<string, string>();

    [JsonPropertyName("detector")]
    public string? Detector { get; set; }

    [JsonPropertyName("threshold")]
    public double? Threshold { get; set; }

    /// <summary><c>auto</c>, <c>strace</c>, <c>nttrace</c>, <c>adfa</c> or <c>unm</c>.</summary>
    [JsonPropertyName("format")]
    public string Format { get; set; } = "auto";

    [JsonPropertyName("skip_malformed")]
    public bool SkipMalformed { get; set; } = true;

    [JsonPropertyName("max_line_bytes")]
    public int MaxLineBytes { get; set; } = LogReadOptions.DefaultMaxLineBytes;

    [JsonPropertyName("max_alerts_per_log")]
    public int MaxAlertsPerLog { get; set; } = 100;

    /// <summary>The <c>hostname</c> of alerts; the machine's name when absent.</summary>
    [JsonPropertyName("hostname")]
    public string? Hostname { get; set; }

    /// <summary>The priority of mismatch alerts (Falco's names).</summary>
    [JsonPropertyName("priority")]
    public string Priority { get; set; } = nameof(AlertPriority.Critical);

    /// <summary>Print each alert's human line on stdout (journald keeps it under systemd).</summary>
    [JsonPropertyName("stdout")]
    public bool Stdout { get; set; } = true;

    [JsonPropertyName("sinks")]
    public SinkSettings Sinks { get; set; } = new();

    [JsonPropertyName("exclude")]
    public IReadOnlyList<string>? Exclude { get; set; }

    /// <summary>Follow symbolic links in the spools wherever they lead (off: a link leading outside its VM's folder is reported, not read).</summary>
    [JsonPropertyName("follow_symlinks")]
    public bool FollowSymlinks { get; set; }

    [JsonPropertyName("poll_interval_ms")]
    public int PollIntervalMs { get; set; } = 100;

    /// <summary>How often the spools are listed: with inotify, the fallback for what it missed; without, how late a new log is seen.</summary>
    [JsonPropertyName("scan_interval_ms")]
    public int ScanIntervalMs { get; set; } = 1000;

    /// <summary>See new logs and appends through inotify at once (false: only the rescan and the readers' polls, e.g. for a network file system inotify does not see).</summary>
    [JsonPropertyName("inotify")]
    public bool Inotify { get; set; } = true;

    /// <summary>How often the store is asked whether a profile in use changed (train, import, profile, seal); 0: never, SIGHUP only.</summary>
    [JsonPropertyName("profile_poll_ms")]
    public int ProfilePollMs { get; set; } = 500;

    [JsonPropertyName("checkpoint_interval_ms")]
    public int CheckpointIntervalMs { get; set; } = 1000;

    /// <summary>A log that did not grow for this long is finished (0: never); it is read again if it grows.</summary>
    [JsonPropertyName("idle_timeout_s")]
    public int IdleTimeoutSeconds { get; set; } = 300;

    [JsonPropertyName("rotate_grace_ms")]
    public int RotateGraceMs { get; set; } = 2000;

    [JsonPropertyName("settle_ms")]
    public int SettleMs { get; set; } = 1000;

    [JsonPropertyName("retry_initial_ms")]
    public int RetryInitialMs { get; set; } = 250;

    [JsonPropertyName("retry_max_ms")]
    public int RetryMaxMs { get; set; } = 30_000;

    [JsonPropertyName("delivery_timeout_s")]
    public int DeliveryTimeoutSeconds { get; set; } = 10;

    /// <summary>How long a stop (SIGTERM) waits for the sinks to take pending alerts.</summary>
    [JsonPropertyName("shutdown_timeout_s")]
    public int ShutdownTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// Days the agent keeps what it no longer needs: alerts delivered to every sink, and finished
    /// files that are gone from the spool (0: keep forever). The alert history (<c>sysprint alerts</c>) is kept.
    /// </summary>
    [JsonPropertyName("retention_days")]
    public int RetentionDays { get; set; } = 30;

    /// <summary>
    /// A VM whose logs did not grow for this many seconds while one of them has not reached its end
    /// (a thread in it has not exited) raises an internal alert naming it, once per silence (0: never).
    /// Less than <see cref="IdleTimeoutSeconds"/>: a log idle that long is finished.
    /// </summary>
    [JsonPropertyName("silent_vm_after_s")]
    public int SilentVmAfterSeconds { get; set; } = 120;

    /// <summary>Serve Prometheus metrics at <c>http://HOST:PORT/metrics</c> (e.g. <c>127.0.0.1:9464</c>); null: none. <c>--metrics</c> overrides it.</summary>
    [JsonPropertyName("metrics")]
    public string? Metrics { get; set; }

    /// <summary><c>simple</c> (one line per event), <c>json</c> (structured) or <c>systemd</c> (journald levels); systemd is chosen by itself under systemd.</summary>
    [JsonPropertyName("log_format")]
    public string LogFormat { get; set; } = "simple";

    /// <summary>Trace, Debug, Information, Warning, Error, Critical or None.</summary>
    [JsonPropertyName("log_level")]
    public string LogLevel { get; set; } = "Information";

    /// <summary>Reads a config file.</summary>
    /// <exception cref="SysprintException">Missing (66) or not valid (65), with the line and what is wrong.</exception>
    public static AgentConfig Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SysprintException(ErrorKind.InputMissing, $"{path}: cannot read the config file: {e.Message}", e);
        }

        AgentConfig config;
        try
        {
            // Key by key first: an unknown key or a value of the wrong type is named with its position.
            ConfigKeys.Check(System.Text.Encoding.UTF8.GetBytes(text), path);
            config = JsonSerializer.Deserialize(text, AgentConfigJson.Default.AgentConfig)
                ?? throw new SysprintException(ErrorKind.MalformedInput, $"{path}: the config is null; expected a JSON object");
        }
        catch (JsonException e)
        {
            long line = (e.LineNumber ?? 0) + 1;
            long column = (e.BytePositionInLine ?? 0) + 1;
            throw new SysprintException(ErrorKind.MalformedInput, $"{path}:{line}:{column}: {Plain(e.Message)}", e);
        }

        config.Validate(path);
        return config;
    }

    /// <summary>Checks values a JSON type cannot: names, ranges.</summary>
    /// <exception cref="SysprintException">A value is out of range (65).</exception>
    public void Validate(string where)
    {
        string? error = null;
        if (ParseFormat(Format) is null)
        {
            error = $"format '{Format}': expected auto, strace, nttrace, adfa or unm";
        }
        else if (!Enum.TryParse(Priority, ignoreCase: false, out AlertPriority _) || int.TryParse(Priority, out _))
        {
            error = $"priority '{Priority}': expected one of {string.Join(", ", Enum.GetNames<AlertPriority>())}";
        }
        else if (LogFormat is not ("simple" or "json" or "systemd"))
        {
            error = $"log_format '{LogFormat}': expected simple, json or systemd";
        }
        else if (!Enum.TryParse(LogLevel, ignoreCase: false, out Microsoft.Extensions.Logging.LogLevel _) || int.TryParse(LogLevel, out _))
        {
            error = $"log_level '{LogLevel}': expected Trace, Debug, Information, Warning, Error, Critical or None";
        }
        else if (Server is null && (EnrollToken is not null || ServerCa is not null))
        {
            error = "enroll_token and server_ca need a server";
        }
        else if (Host is not null && !Sysprint.Fleet.HostNames.IsValid(Host))
        {
            error = $"host '{Printable.Escape(Host)}': expected letters, digits, '.', '-' and '_' (at most 253)";
        }
        else if (Metrics is not null && Sysprint.Agent.Metrics.MetricsAddress.Parse(Metrics, out string? wrong) is null)
        {
            error = $"metrics '{Printable.Escape(Metrics)}': {wrong}";
        }
        else if (SilentVmAfterSeconds > 0 && IdleTimeoutSeconds > 0 && SilentVmAfterSeconds >= IdleTimeoutSeconds)
        {
            error = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"silent_vm_after_s {SilentVmAfterSeconds}: expected less than idle_timeout_s {IdleTimeoutSeconds} (a log idle that long is finished, so its silence would never be seen), or 0 to turn it off");
        }
        else
        {
            error = RangeError();
        }

        if (error is not null)
        {
            throw new SysprintException(ErrorKind.MalformedInput, $"{where}: {error}");
        }
    }

    /// <summary>The first number below its least value, named by its key; null when all are in range.</summary>
    private string? RangeError()
    {
        (string Key, int Value, int Least, string Why)[] limits =
        [
            ("poll_interval_ms", PollIntervalMs, 1, ""), ("scan_interval_ms", ScanIntervalMs, 1, ""), ("checkpoint_interval_ms", CheckpointIntervalMs, 1, ""),
            ("profile_poll_ms", ProfilePollMs, 0, " (0: only on SIGHUP)"), ("idle_timeout_s", IdleTimeoutSeconds, 0, " (0: never)"),
            ("rotate_grace_ms", RotateGraceMs, 0, ""), ("settle_ms", SettleMs, 0, ""), ("retry_initial_ms", RetryInitialMs, 1, ""),
            ("retry_max_ms", RetryMaxMs, RetryInitialMs, " (retry_initial_ms)"), ("delivery_timeout_s", DeliveryTimeoutSeconds, 1, ""),
            ("shutdown_timeout_s", ShutdownTimeoutSeconds, 0, ""), ("max_alerts_per_log", MaxAlertsPerLog, 1, ""), ("max_line_bytes", MaxLineBytes, 256, ""),
            ("retention_days", RetentionDays, 0, " (0: keep forever)"), ("silent_vm_after_s", SilentVmAfterSeconds, 0, " (0: never)"),
        ];
        foreach (var (key, value, least, why) in limits)
        {
            if (value < least)
            {
                return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{key} {value}: expected a whole number of at least {least}{why}");
            }
        }

        return null;
    }

    /// <summary>The watcher's settings.</summary>
    public WatchSettings ToWatchSettings() => new()
    {
        Spools = Spools,
        Profile = Profile,
        VmProfiles = VmProfiles,
        Detector = Detector,
        Threshold = Threshold,
        Format = ParseFormat(Format) ?? Parsing.LogFormat.Auto,
        SkipMalformed = SkipMalformed,
        MaxLineBytes = MaxLineBytes,
        MaxAlertsPerLog = MaxAlertsPerLog,
        Tail = new TailOptions
        {
            PollInterval = TimeSpan.FromMilliseconds(PollIntervalMs),
            RotateGrace = TimeSpan.FromMilliseconds(RotateGraceMs),
            IdleTimeout = TimeSpan.FromSeconds(IdleTimeoutSeconds),
        },
        ScanInterval = TimeSpan.FromMilliseconds(ScanIntervalMs),
        Inotify = Inotify,
        CheckpointInterval = TimeSpan.FromMilliseconds(CheckpointIntervalMs),
        ProfilePoll = TimeSpan.FromMilliseconds(ProfilePollMs),
        Retention = TimeSpan.FromDays(RetentionDays),
        SilentVmAfter = TimeSpan.FromSeconds(SilentVmAfterSeconds),
        Settle = TimeSpan.FromMilliseconds(SettleMs),
        Exclude = Exclude ?? new WatchSettings { Spools = [] }.Exclude,
        FollowSymlinks = FollowSymlinks,
    };

    public OutboxOptions ToOutboxOptions() => new()
    {
        InitialBackoff = TimeSpan.FromMilliseconds(RetryInitialMs),
        MaxBackoff = TimeSpan.FromMilliseconds(RetryMaxMs),
        DeliveryTimeout = TimeSpan.FromSeconds(DeliveryTimeoutSeconds),
    };

    /// <summary>The parsed <see cref="Priority"/>; not a key of the file.</summary>
    [JsonIgnore]
    public AlertPriority AlertPriority => Enum.Parse<AlertPriority>(Priority);

    private static LogFormat? ParseFormat(string value) => value switch
    {
        "auto" => Parsing.LogFormat.Auto,
        "strace" => Parsing.LogFormat.Strace,
        "nttrace" => Parsing.LogFormat.NtTrace,
        "adfa" => Parsing.LogFormat.Adfa,
        "unm" => Parsing.LogFormat.Unm,
        _ => null,
    };

    /// <summary>System.Text.Json ends its messages with the JSON path and position; the caller states the position.</summary>
    private static string Plain(string message)
    {
        int path = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return path > 0 ? message[..path] : message;
    }
}

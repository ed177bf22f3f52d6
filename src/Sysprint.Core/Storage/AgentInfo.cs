using System.Globalization;

namespace Sysprint.Storage;

/// <summary>
/// What the running agent (<c>watch</c>) says about itself at each checkpoint, kept in its store for
/// <c>agent-status</c>. The one codec of the facts: the agent writes them with
/// <see cref="ToValues"/> and every reader takes them back with <see cref="FromValues"/>.
/// </summary>
/// <param name="Stopped">The agent stopped on its own (after its last checkpoint); false while it runs or when it was killed.</param>
/// <param name="Spools">The spool folders it watches, full paths.</param>
/// <param name="Sinks">Its alert sinks, by name.</param>
/// <param name="CheckpointInterval">How often it writes these facts (its heartbeat).</param>
/// <param name="AlertsRaised">Alerts it raised since it started.</param>
/// <param name="AlertsRepeated">Alerts raised again under an id already sent (not sent twice).</param>
public sealed record AgentInfo(
    int Pid,
    DateTimeOffset Started,
    DateTimeOffset Heartbeat,
    bool Stopped,
    IReadOnlyList<string> Spools,
    IReadOnlyList<string> Sinks,
    TimeSpan CheckpointInterval,
    long AlertsRaised,
    long AlertsRepeated)
{
    /// <summary>The interval assumed when an older agent did not write its own.</summary>
    public static readonly TimeSpan DefaultCheckpointInterval = TimeSpan.FromSeconds(1);

    /// <summary>The facts as the store keeps them: one text value per key.</summary>
    public IReadOnlyDictionary<string, string> ToValues() => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["pid"] = Pid.ToString(CultureInfo.InvariantCulture),
        ["started"] = Started.ToString("O", CultureInfo.InvariantCulture),
        ["heartbeat"] = Heartbeat.ToString("O", CultureInfo.InvariantCulture),
        ["state"] = Stopped ? "stopped" : "running",
        ["spools"] = string.Join('\n', Spools),
        ["sinks"] = string.Join('\n', Sinks),
        ["checkpoint_ms"] = ((long)CheckpointInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
        ["alerts_raised"] = AlertsRaised.ToString(CultureInfo.InvariantCulture),
        ["alerts_repeated"] = AlertsRepeated.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The facts an agent wrote with <see cref="ToValues"/>; null when no agent ever wrote a
    /// heartbeat to this store. A fact an older agent did not write takes its default.
    /// </summary>
    public static AgentInfo? FromValues(IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (!values.TryGetValue("heartbeat", out string? beat) || !DateTimeOffset.TryParse(beat, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTimeOffset heartbeat))
        {
            return null;
        }

        return new AgentInfo(
            (int)Number(values, "pid", 0),
            values.TryGetValue("started", out string? started) && DateTimeOffset.TryParse(started, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTimeOffset s) ? s : heartbeat,
            heartbeat,
            values.GetValueOrDefault("state") == "stopped",
            Lines(values, "spools"),
            Lines(values, "sinks"),
            values.ContainsKey("checkpoint_ms") ? TimeSpan.FromMilliseconds(Number(values, "checkpoint_ms", 0)) : DefaultCheckpointInterval,
            Number(values, "alerts_raised", 0),
            Number(values, "alerts_repeated", 0));
    }

    private static long Number(IReadOnlyDictionary<string, string> values, string key, long otherwise) =>
        values.TryGetValue(key, out string? text) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long number) ? number : otherwise;

    private static string[] Lines(IReadOnlyDictionary<string, string> values, string key) =>
        values.TryGetValue(key, out string? text) && text.Length > 0 ? text.Split('\n') : [];
}

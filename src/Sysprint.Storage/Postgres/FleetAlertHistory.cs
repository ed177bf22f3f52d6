namespace Sysprint.Storage.Postgres;

/// <summary>
/// How an agent's alert (Falco's shape, kept whole in <c>alerts.body</c>) becomes an entry of the
/// one alert history, as SQL over that body: the same fields the agent's own store gives it
/// (<c>Alert.ToHistory</c>): source <c>watch</c>, or <c>run</c>/<c>attach</c> when those traced it; a finding (<c>source: syscall</c>) is one mismatch
/// with its line, pid, calls, count and window as details; sysprint's own trouble keeps its rule
/// and no mismatch. Used by the server's ingest and by the migration of the older fleet_alerts.
/// </summary>
internal static class FleetAlertHistory
{
    /// <summary>
    /// The history's <c>source</c>: run or attach when the agent's <c>run</c> or <c>attach</c> traced
    /// the program (<c>sysprint.source</c>), watch otherwise.
    /// </summary>
    public const string Source = "CASE WHEN b->'output_fields'->>'sysprint.source' IN ('run', 'attach') THEN b->'output_fields'->>'sysprint.source' ELSE 'watch' END";

    /// <summary>The history's <c>detector</c> of a body <c>b</c>.</summary>
    public const string Detector = "b->'output_fields'->>'detector'";

    /// <summary>The history's <c>rule</c>: null for a finding, the agent's rule otherwise.</summary>
    public const string Rule = "CASE WHEN b->>'source' = 'syscall' THEN NULL ELSE b->>'rule' END";

    /// <summary>The history's <c>binary_path</c>: the agent's <c>proc.exepath</c>, when it traced the program.</summary>
    public const string BinaryPath = "b->'output_fields'->>'proc.exepath'";

    /// <summary>The history's <c>binary_sha256</c>: the agent's <c>proc.exe.sha256</c>, when it traced the program.</summary>
    public const string BinarySha256 = "b->'output_fields'->>'proc.exe.sha256'";

    /// <summary>The history's <c>mismatches</c>.</summary>
    public const string Mismatches = "CASE WHEN b->>'source' = 'syscall' THEN 1 ELSE 0 END";

    /// <summary>The history's <c>details_json</c> (as <c>check --json</c>'s details, members in the agent's order).</summary>
    public const string Details =
        $"""
        CASE WHEN b->>'source' <> 'syscall' THEN '[]'
            WHEN b->'output_fields' ? 'reason' THEN json_build_array(json_build_object({Fields}, 'reason', b->'output_fields'->'reason'))::text
            ELSE json_build_array(json_build_object({Fields}))::text END
        """;

    private const string Fields =
        """
        'line', b->'output_fields'->'log.line', 'pid', b->'output_fields'->'proc.pid', 'prev', b->'output_fields'->'mismatch.prev',
            'next', b->'output_fields'->'mismatch.next', 'count', b->'output_fields'->'mismatch.count', 'window', b->'output_fields'->'mismatch.window'
        """;
}

using Npgsql;
using NpgsqlTypes;
using Sysprint.Fleet;

namespace Sysprint.Storage.Postgres;

/// <summary>
/// The one definition of the fleet view of a mismatch ("seen on N of M hosts", issue 13 item 6),
/// used by <c>sysprint alerts --db postgres://</c>, <c>GET /api/alerts</c> and the console's alert
/// detail alike.
/// <para>
/// A mismatch's <em>transition</em> is its window of calls, oldest first, joined by spaces (the
/// agent's <c>mismatch.window</c>; for a check, its <c>window</c> array, or <c>prev next</c>, or
/// <c>next</c> alone at a thread's first call), followed by <c> (REASON)</c> when the detector gave
/// a reason (a call-set finding, a rare window). <c>N</c> counts the hosts that recorded an alert
/// naming that transition under that profile whose alert time is within the period before now
/// (7 days), revoked hosts left out. <c>M</c> counts the hosts of the fleet: those enrolled and not
/// revoked, and any other host name that recorded an alert or a check in the period. Alerts without a host or
/// a profile count for neither. It is a lower bound of the hosts that met the transition: a host
/// whose own profile already holds it does not alert.
/// </para>
/// <para>
/// A trigger on <c>alerts</c> keeps, per (profile, transition, host), the newest alert time
/// (<c>fleet_transitions_seen</c>), and a trigger on <c>alerts</c> and <c>checks</c> per host its newest
/// record (<c>fleet_recent_hosts</c>), so a count reads at most one row per host, however many alerts
/// there are.
/// </para>
/// </summary>
internal static class FleetSeenSql
{
    /// <summary>Fleet part migration 3 → 4: the function, the two tables, the trigger, and the tables filled from the history.</summary>
    public static readonly string Migration =
        $$"""
        CREATE FUNCTION sysprint_transition(d jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
            SELECT CASE WHEN jsonb_typeof(d -> 'next') IS DISTINCT FROM 'string' THEN NULL ELSE
                COALESCE(
                    CASE jsonb_typeof(d -> 'window')
                        WHEN 'string' THEN d ->> 'window'
                        WHEN 'array' THEN (SELECT string_agg(w.call, ' ' ORDER BY w.i) FROM jsonb_array_elements_text(d -> 'window') WITH ORDINALITY AS w (call, i))
                    END,
                    CASE WHEN jsonb_typeof(d -> 'prev') = 'string' THEN (d ->> 'prev') || ' ' || (d ->> 'next') ELSE d ->> 'next' END)
                || COALESCE(' (' || (d ->> 'reason') || ')', '')
            END
        $f$;
        CREATE FUNCTION sysprint_mismatches(details text) RETURNS SETOF jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE ROWS 2 AS $f$
            SELECT m FROM jsonb_array_elements(CASE WHEN jsonb_typeof(details::jsonb) = 'array' THEN details::jsonb ELSE '[]'::jsonb END) AS e (m)
        $f$;
        CREATE TABLE fleet_transitions_seen (
            profile    text NOT NULL,
            transition text NOT NULL,
            host       text NOT NULL,
            last_seen  timestamptz NOT NULL,
            PRIMARY KEY (profile, transition, host) INCLUDE (last_seen)
        );
        CREATE TABLE fleet_alert_hosts (
            host       text PRIMARY KEY,
            last_alert timestamptz NOT NULL
        );
        CREATE FUNCTION sysprint_alerts_seen() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN
            {{UpsertV4("new_alerts")}}
            RETURN NULL;
        END
        $f$;
        CREATE TRIGGER alerts_seen AFTER INSERT ON alerts REFERENCING NEW TABLE AS new_alerts
            FOR EACH STATEMENT EXECUTE FUNCTION sysprint_alerts_seen();
        {{UpsertV4("alerts")}}
        """;

    /// <summary>
    /// Per mismatch of each alert in <c>@seqs</c> (row per mismatch, in its order): the alert's seq,
    /// the mismatch's index, <c>N</c> (null when the mismatch names no transition or the alert no
    /// profile) and <c>M</c>, for the period since <c>@since</c>.
    /// </summary>
    private const string Query =
        """
        WITH m AS (
            SELECT a.seq, d.i - 1 AS i, a.profile, sysprint_transition(d.m) AS transition
            FROM alerts a CROSS JOIN LATERAL sysprint_mismatches(a.details_json) WITH ORDINALITY AS d (m, i)
            WHERE a.seq = ANY (@seqs)
        ), revoked AS (
            SELECT name FROM fleet_hosts WHERE revoked IS NOT NULL
        ), fleet AS (
            SELECT count(*) AS hosts FROM (
                SELECT name FROM fleet_hosts WHERE revoked IS NULL
                UNION
                SELECT host FROM fleet_recent_hosts WHERE last_seen >= @since AND host NOT IN (SELECT name FROM revoked)
            ) u
        )
        SELECT m.seq, m.i,
            CASE WHEN m.transition IS NULL OR m.profile IS NULL THEN NULL ELSE (
                SELECT count(*) FROM fleet_transitions_seen s
                WHERE s.profile = m.profile AND s.transition = m.transition AND s.last_seen >= @since AND s.host NOT IN (SELECT name FROM revoked))
            END,
            fleet.hosts
        FROM m, fleet
        ORDER BY m.seq, m.i
        """;

    /// <summary>
    /// A page of many check alerts (up to 200 mismatches each) is estimated costly enough for
    /// PostgreSQL's JIT, whose compilation alone took 400 ms of a 6 ms query (bench/console): off
    /// for this read-only transaction.
    /// </summary>
    private const string NoJit = "SET LOCAL jit = off";

    /// <summary>The fleet view of every mismatch of these alerts (an alert without mismatches, or unknown, is absent).</summary>
    public static IReadOnlyDictionary<long, FleetSeen?[]> Read(NpgsqlConnection connection, IReadOnlyCollection<long> seqs, DateTimeOffset now)
    {
        var found = new Dictionary<long, List<FleetSeen?>>();
        if (seqs.Count > 0)
        {
            using NpgsqlTransaction transaction = connection.BeginTransaction();
            using (var noJit = new NpgsqlCommand(NoJit, connection, transaction))
            {
                noJit.ExecuteNonQuery();
            }

            using NpgsqlCommand command = Command(connection, transaction, seqs, now);
            using NpgsqlDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
                Add(found, reader);
            }
        }

        return Done(found);
    }

    /// <inheritdoc cref="Read"/>
    public static async Task<IReadOnlyDictionary<long, FleetSeen?[]>> ReadAsync(NpgsqlDataSource source, IReadOnlyCollection<long> seqs, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var found = new Dictionary<long, List<FleetSeen?>>();
        if (seqs.Count > 0)
        {
            await using NpgsqlConnection connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var noJit = new NpgsqlCommand(NoJit, connection, transaction))
            {
                await noJit.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using NpgsqlCommand command = Command(connection, transaction, seqs, now);
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                Add(found, reader);
            }
        }

        return Done(found);
    }

    /// <summary>
    /// Fleet part migration 4 → 5: M counts the hosts that recorded a check too (a normal
    /// <c>run</c> on a host not enrolled is a host of the fleet): <c>fleet_alert_hosts</c> becomes
    /// <c>fleet_recent_hosts (host, last_seen)</c>, kept by the alerts' trigger and a new one on
    /// <c>checks</c>, and filled from the checks.
    /// </summary>
    public static readonly string MigrationV5 =
        $$"""
        ALTER TABLE fleet_alert_hosts RENAME TO fleet_recent_hosts;
        ALTER TABLE fleet_recent_hosts RENAME COLUMN last_alert TO last_seen;
        CREATE OR REPLACE FUNCTION sysprint_alerts_seen() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN
            {{UpsertTransitions("new_alerts")}}
            {{UpsertHosts("new_alerts", "time")}}
            RETURN NULL;
        END
        $f$;
        CREATE FUNCTION sysprint_checks_seen() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN
            {{UpsertHosts("new_checks", "checked_at")}}
            RETURN NULL;
        END
        $f$;
        CREATE TRIGGER checks_seen AFTER INSERT ON checks REFERENCING NEW TABLE AS new_checks
            FOR EACH STATEMENT EXECUTE FUNCTION sysprint_checks_seen();
        {{UpsertHosts("checks", "checked_at")}}
        """;

    private static string UpsertTransitions(string table) =>
        $"""
        INSERT INTO fleet_transitions_seen AS s (profile, transition, host, last_seen)
            SELECT n.profile, t.transition, n.host, max(n.time)
            FROM {table} n CROSS JOIN LATERAL sysprint_mismatches(n.details_json) AS d (m) CROSS JOIN LATERAL (SELECT sysprint_transition(d.m) AS transition) t
            WHERE n.host IS NOT NULL AND n.profile IS NOT NULL AND t.transition IS NOT NULL
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (profile, transition, host) DO UPDATE SET last_seen = greatest(s.last_seen, excluded.last_seen)
            WHERE s.last_seen < excluded.last_seen;
        """;

    private static string UpsertHosts(string table, string time) =>
        $"""
        INSERT INTO fleet_recent_hosts AS h (host, last_seen)
            SELECT n.host, max(n.{time}) FROM {table} n WHERE n.host IS NOT NULL GROUP BY 1 ORDER BY 1
            ON CONFLICT (host) DO UPDATE SET last_seen = greatest(h.last_seen, excluded.last_seen)
            WHERE h.last_seen < excluded.last_seen;
        """;

    /// <summary>The upsert of the alerts in <paramref name="table"/> into the two tables as version 4 made them (its trigger's body, and its fill).</summary>
    private static string UpsertV4(string table) =>
        $"""
        INSERT INTO fleet_transitions_seen AS s (profile, transition, host, last_seen)
            SELECT n.profile, t.transition, n.host, max(n.time)
            FROM {table} n CROSS JOIN LATERAL sysprint_mismatches(n.details_json) AS d (m) CROSS JOIN LATERAL (SELECT sysprint_transition(d.m) AS transition) t
            WHERE n.host IS NOT NULL AND n.profile IS NOT NULL AND t.transition IS NOT NULL
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (profile, transition, host) DO UPDATE SET last_seen = greatest(s.last_seen, excluded.last_seen)
            WHERE s.last_seen < excluded.last_seen;
        INSERT INTO fleet_alert_hosts AS h (host, last_alert)
            SELECT n.host, max(n.time) FROM {table} n WHERE n.host IS NOT NULL GROUP BY 1 ORDER BY 1
            ON CONFLICT (host) DO UPDATE SET last_alert = greatest(h.last_alert, excluded.last_alert)
            WHERE h.last_alert < excluded.last_alert;
        """;

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyCollection<long> seqs, DateTimeOffset now)
    {
        var command = new NpgsqlCommand(Query, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter("seqs", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = seqs.ToArray() });
        command.Parameters.AddWithValue("since", (now - FleetSeen.Period).ToUniversalTime());
        return command;
    }

    private static void Add(Dictionary<long, List<FleetSeen?>> found, NpgsqlDataReader reader)
    {
        long seq = reader.GetInt64(0);
        if (!found.TryGetValue(seq, out List<FleetSeen?>? list))
        {
            found[seq] = list = [];
        }

        list.Add(reader.IsDBNull(2) ? null : new FleetSeen(reader.GetInt64(2), reader.GetInt64(3)));
    }

    private static Dictionary<long, FleetSeen?[]> Done(Dictionary<long, List<FleetSeen?>> found) =>
        found.ToDictionary(p => p.Key, p => p.Value.ToArray());
}

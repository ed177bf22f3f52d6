using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Sysprint.Fleet;

namespace Sysprint.Storage.Postgres;

/// <summary>The console's reads and changes (<see cref="IConsoleStore"/>) over the one alert history (schema part <c>fleet</c>, versions 3 and 6).</summary>
public sealed partial class PostgresFleetStore : IConsoleStore
{
    /// <summary>
    /// An alert as the console reads it; one that no agent sent (check, run, attach recorded
    /// centrally) gets its body from <c>sysprint_alert_body</c> (fleet part 6) and its host name, or
    /// an empty one when it was recorded without.
    /// </summary>
    private const string ConsoleAlertColumns =
        "a.seq, a.uuid::uuid, COALESCE(a.host, ''), a.time, a.received, b.body->>'rule', b.body->>'priority', b.body->>'source', a.vm, a.log, a.profile, " +
        "a.summary, b.body::text, a.detector, COALESCE(a.program, b.body->'output_fields'->>'program'), a.status, a.status_note, a.status_by, a.status_at";

    /// <summary>The FROM of <see cref="ConsoleAlertColumns"/>.</summary>
    /// <remarks>
    /// The function only for an alert without a body: called for every row (the whole row passed as
    /// a composite), it took the first page of 50 from 0.8 ms to 13 ms (EXPLAIN ANALYZE, bench/console's data).
    /// </remarks>
    private const string ConsoleAlertFrom = "alerts a CROSS JOIN LATERAL (SELECT COALESCE(a.body, sysprint_alert_body(a)) AS body) b";

    /// <summary>
    /// The alerts of the one alert history (agents' and those check, run and attach recorded) matching every filter
    /// of <see cref="ConsoleAlertQuery"/>; a parameter left null matches everything (PostgreSQL plans
    /// the unnamed statement with the values known).
    /// </summary>
    private const string AlertFilter =
        """
        (@host::text IS NULL OR a.host = @host)
        AND (@vm::text IS NULL OR a.vm = @vm)
        AND (@program::text IS NULL OR a.profile = @program OR a.program = @program)
        AND (@detector::text IS NULL OR a.detector = @detector)
        AND (@status::text IS NULL OR a.status = @status)
        AND (@since::timestamptz IS NULL OR a.time >= @since)
        AND (@until::timestamptz IS NULL OR a.time < @until)
        """;

    public Task<AlertPage> QueryAlertsAsync(ConsoleAlertQuery query, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            ArgumentNullException.ThrowIfNull(query);
            var alerts = new List<ConsoleAlert>();
            await using (NpgsqlCommand page = _source.CreateCommand(
                $"""
                SELECT {ConsoleAlertColumns}
                FROM {ConsoleAlertFrom}
                WHERE {AlertFilter} AND (@before::bigint IS NULL OR a.seq < @before)
                ORDER BY a.seq DESC
                LIMIT @limit
                """))
            {
                AddFilter(page, query);
                page.Parameters.Add(new NpgsqlParameter<long?>("before", NpgsqlDbType.Bigint) { TypedValue = query.BeforeSeq });
                page.Parameters.AddWithValue("limit", query.Limit);
                await using NpgsqlDataReader reader = await page.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    alerts.Add(ReadConsoleAlert(reader));
                }
            }

            // Counted up to one past the cap: the cost of a page stays bounded however many match.
            await using NpgsqlCommand count = _source.CreateCommand(
                $"SELECT count(*) FROM (SELECT 1 FROM alerts a WHERE {AlertFilter} LIMIT @cap) c");
            AddFilter(count, query);
            count.Parameters.AddWithValue("cap", AlertPage.MaxCount + 1);
            long total = (long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            return new AlertPage(alerts, Math.Min(total, AlertPage.MaxCount), total <= AlertPage.MaxCount);
        });

    public Task<IReadOnlyList<ConsoleAlert>> AlertsAfterAsync(long afterSeq, int limit, CancellationToken cancellationToken) =>
        Run<IReadOnlyList<ConsoleAlert>>(async () =>
        {
            await using NpgsqlCommand command = _source.CreateCommand(
                $"""
                SELECT {ConsoleAlertColumns}
                FROM {ConsoleAlertFrom}
                WHERE a.seq > @after
                ORDER BY a.seq
                LIMIT @limit
                """);
            command.Parameters.AddWithValue("after", afterSeq);
            command.Parameters.AddWithValue("limit", limit);
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var alerts = new List<ConsoleAlert>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                alerts.Add(ReadConsoleAlert(reader));
            }

            return alerts;
        });

    public Task<long> LatestSeqAsync(CancellationToken cancellationToken) =>
        Run(async () =>
        {
            await using NpgsqlCommand command = _source.CreateCommand("SELECT COALESCE(max(seq), 0) FROM alerts");
            return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        });

    public Task<ConsoleAlert?> FindAlertAsync(long seq, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            await using NpgsqlCommand command = _source.CreateCommand(
                $"SELECT {ConsoleAlertColumns} FROM {ConsoleAlertFrom} WHERE a.seq = @seq");
            command.Parameters.AddWithValue("seq", seq);
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadConsoleAlert(reader) : null;
        });

    public Task<bool> AcknowledgeAlertAsync(long seq, string note, string actor, DateTimeOffset time, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            await using NpgsqlConnection connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            string? profile;
            await using (var update = new NpgsqlCommand(
                "UPDATE alerts SET status = 'acknowledged', status_note = @note, status_by = @actor, status_at = @time WHERE seq = @seq RETURNING profile",
                connection, transaction))
            {
                update.Parameters.AddWithValue("seq", seq);
                update.Parameters.AddWithValue("note", note);
                update.Parameters.AddWithValue("actor", actor);
                update.Parameters.AddWithValue("time", time.ToUniversalTime());
                await using NpgsqlDataReader reader = await update.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return false;
                }

                profile = Text(reader, 0);
            }

            await AddChangeAsync(connection, transaction, time, actor, "acknowledge", profile, seq, note, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        });

    public Task<int> DismissAlertsAsync(long seq, string? profile, IReadOnlyList<string> windows, string note, string actor, string detail, DateTimeOffset time,
        CancellationToken cancellationToken) =>
        Run(async () =>
        {
            await using NpgsqlConnection connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            int dismissed;
            await using (var update = new NpgsqlCommand(
                """
                UPDATE alerts SET status = 'dismissed', status_note = @note, status_by = @actor, status_at = @time
                WHERE (seq = @seq OR (status = 'new' AND profile IS NOT DISTINCT FROM @profile AND win = ANY (@windows)))
                """, connection, transaction))
            {
                update.Parameters.AddWithValue("seq", seq);
                update.Parameters.Add(new NpgsqlParameter<string?>("profile", NpgsqlDbType.Text) { TypedValue = profile });
                update.Parameters.Add(new NpgsqlParameter("windows", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = windows.ToArray() });
                update.Parameters.AddWithValue("note", note);
                update.Parameters.AddWithValue("actor", actor);
                update.Parameters.AddWithValue("time", time.ToUniversalTime());
                dismissed = await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            if (dismissed > 0)
            {
                await AddChangeAsync(connection, transaction, time, actor, "normal", profile, seq, detail, cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return dismissed;
        });

    public Task<AlertCounts> CountAlertsAsync(DateTimeOffset since, int limit, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            // One scan of the period, three groupings: 0 = hour, 1 = host, 2 = profile.
            await using NpgsqlCommand command = _source.CreateCommand(
                """
                SELECT CASE WHEN GROUPING(hour) = 0 THEN 0 WHEN GROUPING(hst) = 0 THEN 1 ELSE 2 END,
                       CASE WHEN GROUPING(hour) = 0 THEN to_char(hour, 'YYYY-MM-DD"T"HH24:00:00"Z"')
                            WHEN GROUPING(hst) = 0 THEN hst ELSE prof END,
                       count(*)
                FROM alerts a, LATERAL (SELECT date_trunc('hour', a.time AT TIME ZONE 'UTC') AS hour, COALESCE(a.profile, '(none)') AS prof,
                    COALESCE(a.host, '(none)') AS hst) k
                WHERE a.time >= @since
                GROUP BY GROUPING SETS ((hour), (hst), (prof))
                """);
            command.Parameters.AddWithValue("since", since.ToUniversalTime());
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var groups = new[] { new List<AlertCount>(), new List<AlertCount>(), new List<AlertCount>() };
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                groups[reader.GetInt32(0)].Add(new AlertCount(reader.GetString(1), reader.GetInt64(2)));
            }

            static List<AlertCount> Top(List<AlertCount> counts, int limit) =>
                [.. counts.OrderByDescending(c => c.Count).ThenBy(c => c.Key, StringComparer.Ordinal).Take(limit)];
            return new AlertCounts([.. groups[0].OrderBy(c => c.Key, StringComparer.Ordinal)], Top(groups[1], limit), Top(groups[2], limit));
        });

    /// <remarks>The one definition of <see cref="FleetSeenSql"/>.</remarks>
    public Task<IReadOnlyDictionary<long, FleetSeen?[]>> FleetSeenAsync(IReadOnlyCollection<long> seqs, DateTimeOffset now, CancellationToken cancellationToken) =>
        Run(() => FleetSeenSql.ReadAsync(_source, seqs, now, cancellationToken));

    /// <remarks>The VMs of the host's latest heartbeat (with their last checks), then those only its alerts name.</remarks>
    public Task<IReadOnlyList<VmSeen>> VmsOfHostAsync(string host, CancellationToken cancellationToken) =>
        Run<IReadOnlyList<VmSeen>>(async () =>
        {
            var alerted = new Dictionary<string, (long Alerts, DateTimeOffset Last)>(StringComparer.Ordinal);
            await using (NpgsqlCommand command = _source.CreateCommand(
                """
                SELECT a.vm, count(*), max(a.time) FROM alerts a
                WHERE a.host = @host AND a.vm IS NOT NULL GROUP BY a.vm ORDER BY 3 DESC, 1 LIMIT 500
                """))
            {
                command.Parameters.AddWithValue("host", host);
                await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    alerted[reader.GetString(0)] = (reader.GetInt64(1), Time(reader, 2)!.Value);
                }
            }

            List<VmChecks> reported = [];
            await using (NpgsqlCommand command = _source.CreateCommand("SELECT vms::text FROM fleet_hosts WHERE name = @host AND vms IS NOT NULL"))
            {
                command.Parameters.AddWithValue("host", host);
                if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string text)
                {
                    using var document = System.Text.Json.JsonDocument.Parse(text);
                    reported = FleetJson.ReadVms(document.RootElement.GetProperty("vms"));
                }
            }

            var vms = new List<VmSeen>();
            foreach (VmChecks checks in reported)
            {
                bool any = alerted.Remove(checks.Vm, out var a);
                vms.Add(new VmSeen(checks.Vm, any ? a.Alerts : 0, any ? a.Last : null) { Checks = checks });
            }

            vms.AddRange(alerted.OrderByDescending(p => p.Value.Last).ThenBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => new VmSeen(p.Key, p.Value.Alerts, p.Value.Last)));
            return vms;
        });

    public Task<IReadOnlyList<ConsoleChange>> ListChangesAsync(string? profile, int limit, CancellationToken cancellationToken) =>
        Run<IReadOnlyList<ConsoleChange>>(async () =>
        {
            await using NpgsqlCommand command = _source.CreateCommand(
                """
                SELECT id, time, actor, action, profile, alert_seq, detail FROM fleet_console_changes
                WHERE @profile::text IS NULL OR profile = @profile
                ORDER BY id DESC LIMIT @limit
                """);
            command.Parameters.Add(new NpgsqlParameter<string?>("profile", NpgsqlDbType.Text) { TypedValue = profile });
            command.Parameters.AddWithValue("limit", limit);
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var changes = new List<ConsoleChange>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                changes.Add(new ConsoleChange(reader.GetInt64(0), Time(reader, 1)!.Value, reader.GetString(2), reader.GetString(3), Text(reader, 4),
                    reader.IsDBNull(5) ? null : reader.GetInt64(5), reader.GetString(6)));
            }

            return changes;
        });

    private static async Task AddChangeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, DateTimeOffset time, string actor, string action,
        string? profile, long? alertSeq, string detail, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand(
            "INSERT INTO fleet_console_changes (time, actor, action, profile, alert_seq, detail) VALUES (@time, @actor, @action, @profile, @seq, @detail)",
            connection, transaction);
        insert.Parameters.AddWithValue("time", time.ToUniversalTime());
        insert.Parameters.AddWithValue("actor", actor);
        insert.Parameters.AddWithValue("action", action);
        insert.Parameters.Add(new NpgsqlParameter<string?>("profile", NpgsqlDbType.Text) { TypedValue = profile });
        insert.Parameters.Add(new NpgsqlParameter<long?>("seq", NpgsqlDbType.Bigint) { TypedValue = alertSeq });
        insert.Parameters.AddWithValue("detail", detail);
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void AddFilter(NpgsqlCommand command, ConsoleAlertQuery query)
    {
        command.Parameters.Add(new NpgsqlParameter<string?>("host", NpgsqlDbType.Text) { TypedValue = query.Host });
        command.Parameters.Add(new NpgsqlParameter<string?>("vm", NpgsqlDbType.Text) { TypedValue = query.Vm });
        command.Parameters.Add(new NpgsqlParameter<string?>("program", NpgsqlDbType.Text) { TypedValue = query.Program });
        command.Parameters.Add(new NpgsqlParameter<string?>("detector", NpgsqlDbType.Text) { TypedValue = query.Detector });
        command.Parameters.Add(new NpgsqlParameter<string?>("status", NpgsqlDbType.Text)
        {
            TypedValue = query.Status is { } s ? AlertStatusNames.Name(s) : null,
        });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("since", NpgsqlDbType.TimestampTz) { TypedValue = query.Since?.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("until", NpgsqlDbType.TimestampTz) { TypedValue = query.Until?.ToUniversalTime() });
    }

    private static ConsoleAlert ReadConsoleAlert(NpgsqlDataReader reader)
    {
        var alert = new FleetAlert(
            reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), Time(reader, 3)!.Value, Time(reader, 4)!.Value,
            reader.GetString(5), reader.GetString(6), reader.GetString(7), Text(reader, 8), Text(reader, 9), Text(reader, 10),
            reader.GetString(11), reader.GetString(12));
        string statusName = reader.GetString(15);
        if (!AlertStatusNames.TryParse(statusName, out AlertStatus status))
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"alerts.status '{statusName}' at seq {alert.Seq}"));
        }

        return new ConsoleAlert(alert, Text(reader, 13), Text(reader, 14), status, Text(reader, 16), Text(reader, 17), Time(reader, 18));
    }
}

using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Sysprint.Reliability.Tests;

/// <summary>
/// The alert outbox of a store (<c>agent_alerts</c>, <c>agent_deliveries</c>) and the file of a
/// <c>--alerts-jsonl</c> sink after a crash, each read with a reader of the test's own.
/// </summary>
internal sealed record OutboxState(
    string IntegrityCheck,
    IReadOnlyList<string> AlertIds,
    int InternalAlerts,
    int AlertsWithoutOneDelivery,
    int DeliveriesWithoutAlert,
    IReadOnlySet<string> Delivered,
    IReadOnlyList<string> FileIds,
    IReadOnlyList<string> BadLines)
{
    /// <summary>
    /// The outbox of the store at <paramref name="db"/> and the sink <paramref name="jsonl"/>, read
    /// while no agent runs (a running one may write a line between the two reads).
    /// </summary>
    public static OutboxState Read(string db, string jsonl)
    {
        (List<string> fileIds, List<string> badLines) = ReadFile(jsonl);
        var builder = new SqliteConnectionStringBuilder { DataSource = db, Pooling = false, Mode = SqliteOpenMode.ReadWrite };
        using var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        string sink = "jsonl:" + Path.GetFullPath(jsonl);
        return new OutboxState(
            string.Join('\n', Strings(connection, "PRAGMA integrity_check", sink)),
            Strings(connection, "SELECT id FROM agent_alerts ORDER BY seq", sink),
            Scalar(connection, "SELECT COUNT(*) FROM agent_alerts WHERE source <> 'syscall'", sink),
            Scalar(connection, "SELECT COUNT(*) FROM agent_alerts a WHERE (SELECT COUNT(*) FROM agent_deliveries d WHERE d.alert_seq = a.seq AND d.sink = $sink) <> 1", sink),
            Scalar(connection, "SELECT COUNT(*) FROM agent_deliveries d WHERE NOT EXISTS (SELECT 1 FROM agent_alerts a WHERE a.seq = d.alert_seq)", sink),
            Strings(connection, "SELECT a.id FROM agent_deliveries d JOIN agent_alerts a ON a.seq = d.alert_seq WHERE d.sink = $sink AND d.delivered_at IS NOT NULL", sink).ToHashSet(StringComparer.Ordinal),
            fileIds,
            badLines);
    }

    /// <summary>Alerts stored but not yet marked delivered to the file.</summary>
    public int Pending => AlertIds.Count - Delivered.Count;

    /// <summary>Alerts in the file whose delivery is not marked: written when the agent was killed, before it recorded so.</summary>
    public int WrittenNotMarked => FileIds.Count(id => !Delivered.Contains(id));

    /// <summary>
    /// Asserts what docs/AGENT.md promises at any moment: the store is intact; each alert is stored
    /// once, with one delivery row for the sink, before the sink sees it; a delivery is marked only
    /// once the line is in the file; the jsonl sink never writes an alert twice, nor half a line.
    /// </summary>
    public void AssertConsistent(string when)
    {
        Assert.True(IntegrityCheck == "ok", $"{when}: PRAGMA integrity_check: {IntegrityCheck}");
        Assert.True(AlertIds.Count == AlertIds.Distinct(StringComparer.Ordinal).Count(), $"{when}: an alert id is stored twice in agent_alerts");
        Assert.True(InternalAlerts == 0, $"{when}: {InternalAlerts} internal alerts (a log the agent could not check)");
        Assert.True(AlertsWithoutOneDelivery == 0, $"{when}: {AlertsWithoutOneDelivery} stored alerts without exactly one delivery row for the jsonl sink");
        Assert.True(DeliveriesWithoutAlert == 0, $"{when}: {DeliveriesWithoutAlert} delivery rows without their alert");
        Assert.True(BadLines.Count == 0, $"{when}: {BadLines.Count} lines of the jsonl file are not one alert each, the first: {(BadLines.Count > 0 ? BadLines[0] : "")}");
        string[] repeated = [.. FileIds.GroupBy(id => id, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key)];
        Assert.True(repeated.Length == 0, $"{when}: {repeated.Length} alerts written twice to the jsonl file, the first: {repeated.FirstOrDefault()}");
        string[] unstored = [.. FileIds.Except(AlertIds, StringComparer.Ordinal)];
        Assert.True(unstored.Length == 0, $"{when}: {unstored.Length} alerts in the jsonl file that the outbox does not hold, the first: {unstored.FirstOrDefault()}");
        string[] lost = [.. Delivered.Except(FileIds, StringComparer.Ordinal)];
        Assert.True(lost.Length == 0, $"{when}: {lost.Length} alerts marked delivered that the jsonl file does not hold, the first: {lost.FirstOrDefault()}");
    }

    /// <summary>The <c>uuid</c> of each line of a jsonl sink's file, and the lines that are not a whole alert.</summary>
    private static (List<string> Ids, List<string> BadLines) ReadFile(string jsonl)
    {
        var ids = new List<string>();
        var bad = new List<string>();
        if (!File.Exists(jsonl))
        {
            return (ids, bad);
        }

        foreach (string line in File.ReadAllLines(jsonl))
        {
            try
            {
                using var alert = JsonDocument.Parse(line);
                ids.Add(alert.RootElement.GetProperty("uuid").GetString()!);
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                bad.Add(line);
            }
        }

        return (ids, bad);
    }

    private static List<string> Strings(SqliteConnection connection, string sql, string sink)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        if (sql.Contains("$sink", StringComparison.Ordinal))
        {
            command.Parameters.AddWithValue("$sink", sink);
        }

        using SqliteDataReader reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    private static int Scalar(SqliteConnection connection, string sql, string sink)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        if (sql.Contains("$sink", StringComparison.Ordinal))
        {
            command.Parameters.AddWithValue("$sink", sink);
        }

        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

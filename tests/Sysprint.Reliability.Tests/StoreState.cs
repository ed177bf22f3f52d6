using Microsoft.Data.Sqlite;

namespace Sysprint.Reliability.Tests;

/// <summary>What a store holds after a crash, read with a connection of its own (which also replays the WAL).</summary>
internal sealed record StoreState(
    string IntegrityCheck,
    IReadOnlyList<string> LearntSha256,
    IReadOnlySet<string> Grams,
    int OrphanGrams,
    int LogsWithoutOneWindowsRow,
    int WindowsWithoutLog,
    int Checks,
    int AnomalousChecksWithoutOneAlert,
    int AlertsWithoutAnAnomalousCheck)
{
    /// <summary>The state of the store at <paramref name="path"/>; null when no schema was created yet.</summary>
    public static StoreState? Read(string path)
    {
        if (!File.Exists(path) || new FileInfo(path).Length == 0)
        {
            return null;
        }

        var builder = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, Mode = SqliteOpenMode.ReadWrite };
        using var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        string integrity = string.Join('\n', Strings(connection, "PRAGMA integrity_check"));
        if (Scalar(connection, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'grams'") == 0)
        {
            return new StoreState(integrity, [], new HashSet<string>(), 0, 0, 0, 0, 0, 0);
        }

        return new StoreState(
            integrity,
            Strings(connection, "SELECT l.sha256 FROM logs l JOIN profiles p ON p.id = l.profile_id WHERE p.name = 'default'"),
            Strings(connection, "SELECT g.gram FROM grams g JOIN profiles p ON p.id = g.profile_id WHERE p.name = 'default'").ToHashSet(StringComparer.Ordinal),
            Scalar(connection, "SELECT COUNT(*) FROM grams g WHERE NOT EXISTS (SELECT 1 FROM logs l WHERE l.id = g.first_log_id AND l.profile_id = g.profile_id)"),
            Scalar(connection, "SELECT COUNT(*) FROM logs l WHERE (SELECT COUNT(*) FROM log_windows w WHERE w.log_id = l.id) <> 1"),
            Scalar(connection, "SELECT COUNT(*) FROM log_windows w WHERE NOT EXISTS (SELECT 1 FROM logs l WHERE l.id = w.log_id)"),
            Scalar(connection, "SELECT COUNT(*) FROM checks"),
            Scalar(connection, "SELECT COUNT(*) FROM checks c WHERE c.verdict = 'anomalous' AND (SELECT COUNT(*) FROM alerts a WHERE a.check_id = c.id) <> 1"),
            Scalar(connection, "SELECT COUNT(*) FROM alerts a WHERE NOT EXISTS (SELECT 1 FROM checks c WHERE c.id = a.check_id AND c.verdict = 'anomalous')"));
    }

    /// <summary>
    /// Asserts the store is intact and holds exactly the fingerprint of the logs it records as
    /// learnt, and the window counts of each of them (one <c>log_windows</c> row per log, every
    /// log learnt here being learnt by <c>train</c>) and of no other.
    /// </summary>
    public void AssertConsistent(Corpus corpus, string when)
    {
        Assert.True(IntegrityCheck == "ok", $"{when}: PRAGMA integrity_check: {IntegrityCheck}");
        Assert.True(LearntSha256.Count == LearntSha256.Distinct(StringComparer.Ordinal).Count(), $"{when}: a log is recorded twice");
        HashSet<string> expected = corpus.ExpectedGrams(LearntSha256);
        Assert.True(expected.SetEquals(Grams),
            $"{when}: the fingerprint is not the one of the {LearntSha256.Count} logs recorded: {Grams.Except(expected).Count()} grams too many, {expected.Except(Grams).Count()} missing");
        Assert.True(OrphanGrams == 0, $"{when}: {OrphanGrams} grams name a first log that is not recorded");
        Assert.True(LogsWithoutOneWindowsRow == 0, $"{when}: {LogsWithoutOneWindowsRow} of the {LearntSha256.Count} logs recorded have no log_windows row (or more than one)");
        Assert.True(WindowsWithoutLog == 0, $"{when}: {WindowsWithoutLog} log_windows rows name a log that is not recorded");
        Assert.True(AnomalousChecksWithoutOneAlert == 0, $"{when}: {AnomalousChecksWithoutOneAlert} anomalous checks without exactly one alert");
        Assert.True(AlertsWithoutAnAnomalousCheck == 0, $"{when}: {AlertsWithoutAnAnomalousCheck} alerts without an anomalous check");
    }

    /// <summary>
    /// One count from a store another process is writing (read-only, WAL); -1 while there is no
    /// store or no schema yet.
    /// </summary>
    public static int Count(string path, string sql)
    {
        if (!File.Exists(path))
        {
            return -1;
        }

        var builder = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, Mode = SqliteOpenMode.ReadOnly };
        try
        {
            using var connection = new SqliteConnection(builder.ToString());
            connection.Open();
            return Scalar(connection, sql);
        }
        catch (SqliteException)
        {
            // Being created: empty, not yet WAL, or no tables yet.
            return -1;
        }
    }

    private static List<string> Strings(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        using SqliteDataReader reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    private static int Scalar(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

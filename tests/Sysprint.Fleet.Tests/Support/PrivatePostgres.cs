using System.Diagnostics;
using Npgsql;

namespace Sysprint.Fleet.Tests.Support;

/// <summary>
/// A PostgreSQL server of the test's own (<c>.ci/postgres start</c>), durable as in production
/// (fsync and synchronous commit on), which the test may crash (<c>-m immediate</c>) and restart
/// on the same port. Needs the PostgreSQL 15 binaries that CI installs: the test is skipped where
/// <see cref="TestDatabase.Variable"/> is unset, except under CI, as the other fleet tests are.
/// </summary>
internal sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _dir;

    private PrivatePostgres(string dir, string connectionString)
    {
        _dir = dir;
        ConnectionString = connectionString;
    }

    /// <summary>An Npgsql connection string to the server's <c>postgres</c> database.</summary>
    public string ConnectionString { get; }

    /// <summary>The same database as a <c>postgres://</c> URL, as the CLI takes it.</summary>
    public string Url
    {
        get
        {
            var b = new NpgsqlConnectionStringBuilder(ConnectionString);
            return $"postgres://{b.Username}@{b.Host}:{b.Port}/{b.Database}";
        }
    }

    public static async Task<PrivatePostgres> StartAsync()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(TestDatabase.Variable)))
        {
            // The same rule as TestDatabase: skipped locally, a failure under CI.
            await (await TestDatabase.CreateAsync()).DisposeAsync();
        }

        string dir = Path.Combine(Path.GetTempPath(), "sysprint-pg-" + Guid.NewGuid().ToString("N")[..12]);
        string connection = (await RunAsync(["start", dir], durable: true)).Trim();
        return new PrivatePostgres(dir, connection);
    }

    /// <summary>Stops the server as a crash would: no checkpoint, connections cut; the next start replays the WAL.</summary>
    public Task CrashAsync() => RunAsync(["crash", _dir]);

    public Task RestartAsync() => RunAsync(["restart", _dir]);

    /// <summary>One fresh connection (no pool: a pooled one may be dead after a crash).</summary>
    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        return connection;
    }

    public async ValueTask DisposeAsync() => await RunAsync(["stop", _dir]);

    private static async Task<string> RunAsync(string[] args, bool durable = false)
    {
        var start = new ProcessStartInfo(Path.Combine(Repository.Root(), ".ci", "postgres"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        if (durable)
        {
            start.Environment["SYSPRINT_PG_DURABLE"] = "1";
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        Task<string> error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(3), CancellationToken.None);
        Assert.True(process.ExitCode == 0, $".ci/postgres {string.Join(' ', args)} failed ({process.ExitCode}): {await error}");
        return await output;
    }
}

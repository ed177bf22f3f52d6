using Npgsql;

namespace Sysprint.Fleet.Tests.Support;

/// <summary>
/// A fresh, empty database on the test PostgreSQL (<c>SYSPRINT_TEST_PG</c>, an Npgsql connection
/// string to a server where the user may create databases), dropped at the end. Without the
/// variable the test is skipped with a message, except under CI (<c>CI=true</c>), where it fails:
/// CI starts a server (.ci/run), so its absence there is a fault, not a choice.
/// </summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    public const string Variable = "SYSPRINT_TEST_PG";

    private readonly string _admin;

    private TestDatabase(string admin, string name, string connectionString)
    {
        _admin = admin;
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }

    /// <summary>An Npgsql connection string to this test's database.</summary>
    public string ConnectionString { get; }

    /// <summary>The same database as a <c>postgres://</c> URL.</summary>
    public string Url
    {
        get
        {
            var b = new NpgsqlConnectionStringBuilder(ConnectionString);
            string user = string.IsNullOrEmpty(b.Username) ? "" : Uri.EscapeDataString(b.Username) + "@";
            return $"postgres://{user}{b.Host}:{b.Port}/{b.Database}";
        }
    }

    public static async Task<TestDatabase> CreateAsync()
    {
        string? admin = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(admin))
        {
            string message = $"{Variable} is not set: these tests need a PostgreSQL server (.ci/run starts one with .ci/postgres; " +
                "locally: export SYSPRINT_TEST_PG=$(.ci/postgres start /tmp/sysprint-pg/pg))";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(message);
            }

            Assert.Skip(message);
        }

        string name = "sysprint_test_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            // A database name cannot be a parameter; this one is made of hex digits above.
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
        return new TestDatabase(admin, name, builder.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync(CancellationToken.None);
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync(CancellationToken.None);
    }
}

using Npgsql;
using Sysprint.Diagnostics;
using Sysprint.Storage.Postgres;

namespace Sysprint.Storage.Tests.Postgres;

public sealed class PostgresLocationTests
{
    [Theory]
    [InlineData("postgres://sysprint@db1:5433/fleet", true)]
    [InlineData("postgresql://db1/fleet", true)]
    [InlineData("Host=db1;Database=fleet", true)]
    [InlineData("Database=fleet;Host=db1", true)]
    [InlineData("sysprint.db", false)]
    [InlineData("/var/lib/sysprint/postgres.db", false)]
    public void A_url_or_connection_string_names_postgres_and_a_path_does_not(string db, bool postgres)
    {
        Assert.Equal(postgres, PostgresLocation.IsPostgres(db));
    }

    [Fact]
    public void A_url_gives_host_port_database_user_password_and_ssl_mode()
    {
        NpgsqlConnectionStringBuilder b = PostgresLocation.Parse("postgres://fleet%40corp:p%3Ass@db1.example:5433/sysprint?sslmode=verify-full&application_name=hv");

        Assert.Equal(("db1.example", 5433, "sysprint", "fleet@corp", "p:ss", SslMode.VerifyFull, "hv"),
            (b.Host, b.Port, b.Database, b.Username, b.Password, b.SslMode, b.ApplicationName));
        Assert.Equal("postgres://fleet@corp@db1.example:5433/sysprint", PostgresLocation.Describe(b));
    }

    [Fact]
    public void A_url_without_port_or_database_takes_5432_and_sysprint()
    {
        NpgsqlConnectionStringBuilder b = PostgresLocation.Parse("postgresql://db1");

        Assert.Equal(("db1", 5432, "sysprint"), (b.Host, b.Port, b.Database));
    }

    [Theory]
    [InlineData("postgres://u:secret@db1/x?sslmode=maybe", "--db: sslmode 'maybe': expected disable, allow, prefer, require, verify-ca or verify-full")]
    [InlineData("postgres://u:secret@db1/x?pool=3", "--db: unknown parameter 'pool': expected sslmode, sslrootcert, application_name or connect_timeout")]
    [InlineData("mysql://u:secret@db1/x", "--db 'mysql://u:***@db1/x': expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")]
    public void A_bad_address_is_a_usage_error_that_never_shows_the_password(string db, string message)
    {
        var e = Assert.Throws<SysprintException>(() => PostgresLocation.Parse(db));

        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Equal(message, e.Message);
        Assert.DoesNotContain("secret", e.Message, StringComparison.Ordinal);
    }
}

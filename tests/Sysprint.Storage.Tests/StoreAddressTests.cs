namespace Sysprint.Storage.Tests;

public sealed class StoreAddressTests
{
    [Theory]
    [InlineData("sysprint.db", StoreAddressKind.File, null)]
    [InlineData("/var/lib/sysprint/store.db", StoreAddressKind.File, null)]
    [InlineData("./a=b;c.db", StoreAddressKind.File, null)]
    [InlineData("dir/Host=x;y", StoreAddressKind.File, null)]
    [InlineData("C:\\sysprint\\store.db", StoreAddressKind.File, null)]
    [InlineData("postgres://user@host:5432/db", StoreAddressKind.Url, "postgres")]
    [InlineData("PostgreSQL://host/db", StoreAddressKind.Url, "postgresql")]
    [InlineData("Host=db;Database=sysprint", StoreAddressKind.ConnectionString, null)]
    [InlineData("Data Source=x;Mode=ro", StoreAddressKind.ConnectionString, null)]
    public void The_form_of_an_address_is_told_from_its_text(string text, StoreAddressKind kind, string? scheme)
    {
        StoreAddress address = StoreAddress.Parse(text);

        Assert.Equal(kind, address.Kind);
        Assert.Equal(scheme, address.Scheme);
        Assert.Equal(text, address.Text);
    }

    [Theory]
    [InlineData("postgres://user:pw@host:5432/db", "postgres://user:***@host:5432/db")]
    [InlineData("postgres://user@host:5432/db", "postgres://user@host:5432/db")]
    [InlineData("Host=h;Password=pw;Database=d", "Host=h;Password=***;Database=d")]
    [InlineData("Host=h; pwd = pw", "Host=h; pwd =***")]
    [InlineData("/tmp/Password=x", "/tmp/Password=x")]
    public void A_password_is_hidden_in_messages(string text, string redacted)
    {
        Assert.Equal(redacted, StoreAddress.Parse(text).Redacted);
    }

    [Fact]
    public void A_connection_string_value_is_found_by_key_in_any_case()
    {
        StoreAddress address = StoreAddress.Parse("Host=db.example; database = fleet");

        Assert.Equal("fleet", address.ConnectionStringValue("Database"));
        Assert.Null(address.ConnectionStringValue("Port"));
    }

    [Fact]
    public void The_default_backends_serve_files_and_postgres_and_refuse_other_addresses_by_name()
    {
        var ex = Assert.Throws<Diagnostics.SysprintException>(() => StoreBackends.Default.Find(StoreAddress.Parse("mysql://h/db")));

        Assert.Equal("SQLite", StoreBackends.Default.Find(StoreAddress.Parse("x.db")).Name);
        Assert.Equal(Diagnostics.ErrorKind.Usage, ex.Kind);
        Assert.Equal("PostgreSQL", StoreBackends.Default.Find(StoreAddress.Parse("postgres://u@h/db")).Name);
        Assert.Equal("PostgreSQL", StoreBackends.Default.Find(StoreAddress.Parse("Host=h;Database=d")).Name);
        Assert.Equal(
            "mysql://h/db: no store for 'mysql://' addresses in this sysprint; it knows a file path (SQLite); postgres://USER@HOST[:PORT]/DATABASE or Host=...;Database=... (PostgreSQL)",
            ex.Message);
    }
}
